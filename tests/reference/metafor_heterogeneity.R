# Reference values from R's metafor for tests/test_meta_heterogeneity.py: Q-profile confidence intervals for tau², tau,
# I² and H² (confint.rma.uni) and case-deletion influence diagnostics (influence.rma.uni).
# Regenerate with:  Rscript tests/reference/metafor_heterogeneity.R > tests/reference/metafor_heterogeneity.json
# Every dataset ships with metafor (published data): dat.bcg (BCG vaccine trials; "bcg_first2" is its first two trials,
# where the Q-profile upper bound lies beyond the search interval), dat.normand1999 (stroke unit care, SMD),
# dat.nielweise2007 (catheter infections, log OR; lower bound 0), dat.yusuf1985 table 6 (beta blockers, log OR; the
# Q-profile interval is the null set). yi and vi are stored so that the Python tests need no escalc.
suppressPackageStartupMessages(library(metafor))

here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "json_helpers.R"))  # num, vec, str_, obj
one <- function(x) paste0('"', x, '"')
lgl <- function(x) if (isTRUE(x)) "true" else "false"
numv <- function(x) paste0("[", paste(sapply(x, num), collapse = ", "), "]")  # always a JSON array

EXACT <- list(threshold = 1e-12, tol = 1e-12)  # converged estimators, for comparison with control="exact"

ci_obj <- function(res, ci, res_exact) {
  r <- ci$random
  obj(tau2 = numv(r[1, ]), tau = numv(r[2, ]), i2 = numv(r[3, ]), h2 = numv(r[4, ]),
      lb_sign = one(ci$lb.sign), ub_sign = one(ci$ub.sign), ci_null = lgl(ci$ci.null),
      tau2_exact = num(res_exact$tau2), i2_exact = num(res_exact$I2), h2_exact = num(res_exact$H2))
}

ci_all <- function(yi, vi) {
  out <- c()
  for (method in c("DL", "REML", "PM", "ML", "HE", "SJ", "EB")) {
    for (level in c(95, 90)) {
      res <- rma(yi, vi, method = method, level = level)
      res_exact <- rma(yi, vi, method = method, level = level, control = EXACT)
      ci <- suppressMessages(confint(res))
      out <- c(out, sprintf('"%s_%d": %s', method, level, ci_obj(res, ci, res_exact)))
    }
  }
  # uniroot with a tight tolerance (confint's control=list(tol=)), to check the root finder apart from its stopping rule
  res <- rma(yi, vi, method = "REML")
  ci <- confint(res, control = list(tol = 1e-10))
  out <- c(out, sprintf('"REML_95_tol1e-10": %s', ci_obj(res, ci, rma(yi, vi, method = "REML", control = EXACT))))
  paste0("{", paste(out, collapse = ", "), "}")
}

inf_obj <- function(res) {
  inf <- influence(res)
  obj(rstudent = numv(inf$inf$rstudent), dffits = numv(inf$inf$dffits), cook_d = numv(inf$inf$cook.d),
      cov_r = numv(inf$inf$cov.r), tau2_del = numv(inf$inf$tau2.del), qe_del = numv(inf$inf$QE.del),
      hat = numv(inf$inf$hat), weight = numv(inf$inf$weight), dfbetas = numv(inf$dfbs$intrcpt),
      inf = str_(inf$inf$inf), is_infl = paste0("[", paste(sapply(inf$is.infl, lgl), collapse = ", "), "]"))
}

inf_all <- function(yi, vi) {
  out <- c()
  for (method in c("FE", "DL", "REML", "PM", "ML")) {
    for (test in c("z", "knha")) {
      out <- c(out, sprintf('"%s_%s": %s', method, test, inf_obj(suppressWarnings(rma(yi, vi, method = method, test = test)))))
      out <- c(out, sprintf('"%s_%s_exact": %s', method, test, inf_obj(suppressWarnings(rma(yi, vi, method = method, test = test, control = EXACT)))))
    }
  }
  paste0("{", paste(out, collapse = ", "), "}")
}

dataset <- function(name, es, influence = FALSE) {
  ok <- !is.na(es$yi)
  yi <- as.numeric(es$yi[ok]); vi <- as.numeric(es$vi[ok])
  extra <- if (influence) sprintf(', "influence": %s', inf_all(yi, vi)) else ""
  sprintf('"%s": {"yi": %s, "vi": %s, "ci": %s%s}', name, numv(yi), numv(vi), ci_all(yi, vi), extra)
}

bcg <- dat.bcg
parts <- c(
  dataset("bcg_RR", escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg), influence = TRUE),
  dataset("bcg_OR", escalc(measure = "OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)),
  dataset("bcg_first2_RR", escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg[1:2, ])),
  dataset("normand_SMD", escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
                                data = dat.normand1999), influence = TRUE),
  dataset("nielweise_OR", escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.nielweise2007)),
  dataset("yusuf6_OR", escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i,
                              data = dat.yusuf1985[dat.yusuf1985$table == "6", ]))
)
cat(paste0('{"metafor_version": "', as.character(packageVersion("metafor")), '", ', paste(parts, collapse = ", "), "}\n"))
