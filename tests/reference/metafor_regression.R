# Reference values from R's metafor for tests/test_meta_regression.py: meta-regression (rma with mods), Egger's
# regression test (regtest) and the funnel plot's pseudo-confidence region (funnel).
# Regenerate with:  Rscript tests/reference/metafor_regression.R > tests/reference/metafor_regression.json
# Datasets ship with metafor: dat.bcg (Colditz 1994, BCG vaccine trials, log risk ratios), dat.raudenbush1985
# (teacher expectancy, standardised mean differences: a continuous outcome), dat.hackshaw1998 (passive smoking and
# lung cancer, log odds ratios, k = 37). No made-up data.
# Every model is fitted twice: with metafor's default control ("metafor") and with a tight one ("exact": Fisher
# scoring threshold 1e-12, uniroot tol 1e-12, maxiter 1000) that alsmsc's control="exact" converges to.
suppressPackageStartupMessages(library(metafor))

here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "json_helpers.R"))  # num, vec, str_, obj

METHODS <- c("FE", "DL", "HE", "SJ", "ML", "REML", "EB", "PM")
CONTROLS <- list(metafor = list(), exact = list(threshold = 1e-12, tol = 1e-12, maxiter = 1000))

fit_json <- function(res) {
  obj(names = str_(rownames(res$beta)), b = vec(res$beta), se = vec(res$se), zval = vec(res$zval),
      pval = vec(res$pval), ci_lb = vec(res$ci.lb), ci_ub = vec(res$ci.ub), vcov = num(c(res$vb)),
      tau2 = num(res$tau2), se_tau2 = num(res$se.tau2), i2 = num(res$I2), h2 = num(res$H2),
      r2 = if (is.null(res$R2)) "null" else num(res$R2), QE = num(res$QE), QEdf = num(res$k - res$p),
      QEp = num(res$QEp), QM = num(res$QM), QMdf = num(res$QMdf), QMp = num(res$QMp), ddf = num(res$ddf),
      k = num(res$k), p = num(res$p), fitted = vec(fitted(res)), residuals = vec(residuals(res)))
}

# One case = a dataset, a moderator formula (as metafor spells it) and the moderator columns alsmsc is given.
regression_case <- function(yi, vi, data, mods, intercept) {
  fits <- c()
  for (cn in names(CONTROLS)) for (method in METHODS) for (test in c("z", "knha")) for (level in c(95, 90)) {
    res <- suppressWarnings(rma(yi, vi, mods = mods, data = data, method = method, test = test, level = level,
                                control = CONTROLS[[cn]]))
    fits <- c(fits, sprintf('"%s_%s_%s_%s": %s', cn, method, test, level, fit_json(res)))
  }
  paste0("{", paste(fits, collapse = ", "), "}")
}

parts <- c()
bcg <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
rau <- dat.raudenbush1985
rau$weeks_c <- pmin(rau$weeks, 3)  # weeks of prior contact, capped at 3 as in Raudenbush (1985): tau² near 0
cases <- list(
  bcg_ablat_year = list(d = bcg, mods = ~ ablat + year, cols = list(ablat = bcg$ablat, year = bcg$year)),
  bcg_alloc = list(d = bcg, mods = ~ factor(alloc), cols = list(alloc = bcg$alloc)),
  bcg_alloc_noint = list(d = bcg, mods = ~ factor(alloc) - 1, cols = list(alloc = bcg$alloc)),
  bcg_ablat_noint = list(d = bcg, mods = ~ ablat - 1, cols = list(ablat = bcg$ablat)),
  raudenbush_weeks_tester = list(d = rau, mods = ~ weeks + factor(tester), cols = list(weeks = rau$weeks, tester = rau$tester)),
  raudenbush_weeks_capped = list(d = rau, mods = ~ weeks_c, cols = list(weeks_c = rau$weeks_c))
)
for (nm in names(cases)) {
  cs <- cases[[nm]]
  cols <- paste(sprintf('"%s": %s', names(cs$cols), sapply(cs$cols, function(x) if (is.character(x)) str_(x) else num(x))),
                collapse = ", ")
  parts <- c(parts, sprintf('"%s": {"yi": %s, "vi": %s, "formula": "%s", "columns": {%s}, "fits": %s}', nm,
    num(cs$d$yi), num(cs$d$vi), deparse(cs$mods), cols, regression_case(yi, vi, cs$d, cs$mods)))
}

# Egger's test: regtest() on a fitted intercept-only model, with its defaults (model "rma", predictor "sei").
egger_case <- function(d) {
  out <- c()
  for (cn in names(CONTROLS)) for (method in METHODS) for (test in c("z", "knha")) {
    res <- suppressWarnings(rma(yi, vi, data = d, method = method, test = test, control = CONTROLS[[cn]]))
    rt <- suppressWarnings(regtest(res))
    out <- c(out, sprintf('"%s_%s_%s": %s', cn, method, test, obj(zval = num(rt$zval), pval = num(rt$pval),
      ddf = num(rt$ddf), est = num(rt$est), ci_lb = num(rt$ci.lb), ci_ub = num(rt$ci.ub),
      slope = num(rt$fit$beta[2]), tau2 = num(rt$fit$tau2))))
  }
  paste0("{", paste(out, collapse = ", "), "}")
}

# funnel(): the study points and the pseudo-confidence region it shades, captured from its polygon() call.
funnel_case <- function(d, level) {
  res <- rma(yi, vi, data = d, method = "REML", level = level)
  cap <- new.env()
  assign(".funnel_capture", cap, envir = globalenv())
  suppressMessages(trace("polygon", tracer = quote(assign("poly", list(x = x, y = y), envir = .GlobalEnv$.funnel_capture)),
                         print = FALSE, where = asNamespace("metafor")))
  pdf(NULL)
  pts <- funnel(res)
  invisible(dev.off())
  suppressMessages(untrace("polygon", where = asNamespace("metafor")))
  poly <- cap$poly
  n <- length(poly$x) / 2
  obj(level = num(level / 100), estimate = num(res$beta[1]), x = num(pts$x), y = num(pts$y),
      region_sei = num(poly$y[1:n]), region_lb = num(poly$x[1:n]), region_ub = num(rev(poly$x[(n + 1):(2 * n)])))
}

hack <- dat.hackshaw1998
for (nm in c("hackshaw", "bcg")) {
  d <- if (nm == "hackshaw") hack else bcg
  parts <- c(parts, sprintf('"egger_%s": {"yi": %s, "vi": %s, "fits": %s, "funnel_95": %s, "funnel_90": %s}', nm,
    num(d$yi), num(d$vi), egger_case(d), funnel_case(d, 95), funnel_case(d, 90)))
}

cat(sprintf('{"metafor_version": "%s", "R_version": "%s", %s}\n', as.character(packageVersion("metafor")),
            paste(R.version$major, R.version$minor, sep = "."), paste(parts, collapse = ", ")))
