# Reference values from R's metafor for tests/test_meta.py.
# Regenerate with:  Rscript tests/reference/metafor_reference.R > tests/reference/metafor_reference.json
# Datasets ship with metafor: dat.bcg (Colditz 1994, BCG vaccine trials), dat.normand1999 (stroke unit care,
# continuous outcomes), dat.pritz1997 (proportions). "zero_cells" are small made-up tables (fixture data) that
# exercise the zero-cell rules (a double-zero 2x2 study; proportions of 0 and 1); they are not evidence.
suppressPackageStartupMessages(library(metafor))

here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "json_helpers.R"))  # num, vec, str_, obj

# Our default control="exact" runs every iterative estimator to its optimum; metafor's own defaults stop earlier
# (threshold 1e-5 for Fisher scoring, uniroot tol .Machine$double.eps^0.25 for PM). exact() asks metafor to converge
# too, with absolute tolerances 1e-12 of the data's own scale (var(yi)); "fits" holds exact results, "fits_metafor"
# metafor's default iterations (our control="metafor").
exact <- function(yi) { s <- 1e-12 * var(yi); list(threshold = s, tol = s, maxiter = 10000) }
METHODS <- c("FE", "DL", "HE", "SJ", "ML", "REML", "EB", "PM")

fit_one <- function(yi, vi, method, test, control, level = 95) {
  if (is.null(control)) control <- exact(yi)
  res <- rma(yi, vi, method = method, test = test, control = control, level = level)
  pr <- predict(res)
  pi_lb <- if (!is.null(pr$pi.lb)) pr$pi.lb else pr$ci.lb
  pi_ub <- if (!is.null(pr$pi.ub)) pr$pi.ub else pr$ci.ub
  obj(estimate = num(res$b[1]), se = num(res$se), stat = num(res$zval), pval = num(res$pval),
      ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub), pi_lb = num(pi_lb), pi_ub = num(pi_ub),
      tau2 = num(res$tau2), i2 = num(res$I2), h2 = num(res$H2), q = num(res$QE), q_pval = num(res$QEp),
      weights = num(weights(res)))
}

fit_all <- function(yi, vi, control = NULL, methods = METHODS, level = 95) {
  out <- c()
  for (method in methods) {
    for (test in c("z", "knha")) {
      if (method == "FE" && test == "knha") next
      out <- c(out, sprintf('"%s_%s": %s', method, test, fit_one(yi, vi, method, test, control, level)))
    }
  }
  paste0("{", paste(out, collapse = ", "), "}")
}

l1o_cumul <- function(yi, vi, order, method, test = "z", control = NULL, level = 95) {
  if (is.null(control)) control <- exact(yi)
  res <- rma(yi, vi, method = method, test = test, control = control, level = level)
  l1 <- leave1out(res)
  cu <- cumul(res, order = order)
  obj(loo_estimate = num(l1$estimate), loo_se = num(l1$se), loo_stat = num(if (is.null(l1$zval)) l1$tval else l1$zval), loo_pval = num(l1$pval),
      loo_tau2 = num(l1$tau2), loo_ci_lb = num(l1$ci.lb), loo_ci_ub = num(l1$ci.ub), loo_q = num(l1$Q),
      loo_q_pval = num(l1$Qp), loo_i2 = num(l1$I2), loo_h2 = num(l1$H2),
      cumul_estimate = num(cu$estimate), cumul_se = num(cu$se), cumul_stat = num(if (is.null(cu$zval)) cu$tval else cu$zval), cumul_pval = num(cu$pval),
      cumul_tau2 = num(cu$tau2), cumul_ci_lb = num(cu$ci.lb), cumul_ci_ub = num(cu$ci.ub), cumul_i2 = num(cu$I2),
      cumul_h2 = num(cu$H2))
}

parts <- c()

bcg <- dat.bcg
for (m in c("RR", "OR", "RD")) {
  es <- escalc(measure = m, ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
  parts <- c(parts, sprintf('"bcg_%s": %s', m, obj(
    ai = num(bcg$tpos), bi = num(bcg$tneg), ci = num(bcg$cpos), di = num(bcg$cneg), year = num(bcg$year),
    alloc = str_(bcg$alloc), yi = num(es$yi), vi = num(es$vi), fits = fit_all(es$yi, es$vi),
    fits_metafor = fit_all(es$yi, es$vi, control = list()),
    fits_level90 = fit_all(es$yi, es$vi, methods = c("FE", "REML", "PM"), level = 90),
    REML_l1o_cumul = l1o_cumul(es$yi, es$vi, bcg$year, "REML"), DL_l1o_cumul = l1o_cumul(es$yi, es$vi, bcg$year, "DL"),
    REML_knha_l1o_cumul = l1o_cumul(es$yi, es$vi, bcg$year, "REML", test = "knha"),
    PM_knha_level90_l1o_cumul = l1o_cumul(es$yi, es$vi, bcg$year, "PM", test = "knha", level = 90),
    REML_metafor_l1o_cumul = l1o_cumul(es$yi, es$vi, bcg$year, "REML", control = list()))))
}

# Subgroups of dat.bcg (log RR) by allocation: a separate REML fit per subgroup, then the Q of a common-effect
# meta-analysis of the subgroup estimates.
es <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = bcg)
sub_est <- c(); sub_se <- c(); sub_tau2 <- c(); groups <- sort(unique(bcg$alloc))
for (g in groups) {
  r <- rma(yi, vi, data = es, subset = alloc == g, method = "REML", control = exact(es$yi[es$alloc == g]))
  sub_est <- c(sub_est, r$b[1]); sub_se <- c(sub_se, r$se); sub_tau2 <- c(sub_tau2, r$tau2)
}
between <- rma(sub_est, sei = sub_se, method = "FE")
parts <- c(parts, sprintf('"bcg_RR_subgroups_REML": %s', obj(groups = str_(groups), estimate = num(sub_est),
  se = num(sub_se), tau2 = num(sub_tau2), q_between = num(between$QE), p_between = num(between$QEp))))

nd <- dat.normand1999
for (m in c("MD", "SMD", "ROM")) {
  es <- escalc(measure = m, m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = nd)
  parts <- c(parts, sprintf('"normand_%s": %s', m, obj(
    m1i = num(nd$m1i), sd1i = num(nd$sd1i), n1i = num(nd$n1i), m2i = num(nd$m2i), sd2i = num(nd$sd2i), n2i = num(nd$n2i),
    yi = num(es$yi), vi = num(es$vi), fits = fit_all(es$yi, es$vi), fits_metafor = fit_all(es$yi, es$vi, control = list()))))
}

pr <- dat.pritz1997
for (m in c("PR", "PLO", "PAS", "PFT")) {
  es <- escalc(measure = m, xi = xi, ni = ni, data = pr)
  parts <- c(parts, sprintf('"pritz_%s": %s', m, obj(xi = num(pr$xi), ni = num(pr$ni), yi = num(es$yi), vi = num(es$vi),
    fits = fit_all(es$yi, es$vi), fits_metafor = fit_all(es$yi, es$vi, control = list()))))
}

z <- data.frame(ai = c(0, 3, 0, 5, 2), bi = c(20, 17, 25, 15, 18), ci = c(2, 6, 0, 9, 0), di = c(18, 14, 25, 11, 20))
for (m in c("RR", "OR", "RD")) {
  es <- escalc(measure = m, ai = ai, bi = bi, ci = ci, di = di, data = z)
  es00 <- escalc(measure = m, ai = ai, bi = bi, ci = ci, di = di, data = z, drop00 = TRUE)
  parts <- c(parts, sprintf('"zero_cells_%s": %s', m, obj(ai = num(z$ai), bi = num(z$bi), ci = num(z$ci), di = num(z$di),
    yi = num(es$yi), vi = num(es$vi), yi_drop00 = num(es00$yi), vi_drop00 = num(es00$vi),
    fits = fit_all(es$yi, es$vi, methods = c("FE", "DL", "REML")))))
}

pz <- data.frame(xi = c(0, 2, 0, 5, 30), ni = c(67, 17, 19, 30, 30))
for (m in c("PR", "PLO", "PAS", "PFT")) {
  es <- escalc(measure = m, xi = xi, ni = ni, data = pz)
  parts <- c(parts, sprintf('"zero_cells_%s": %s', m, obj(xi = num(pz$xi), ni = num(pz$ni), yi = num(es$yi), vi = num(es$vi),
    fits = fit_all(es$yi, es$vi))))
}

cat(sprintf('{"metafor_version": "%s", "R_version": "%s", %s}\n', as.character(packageVersion("metafor")),
            paste(R.version$major, R.version$minor, sep = "."), paste(parts, collapse = ", ")))
