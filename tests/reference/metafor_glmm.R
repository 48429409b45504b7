# Reference values from R's metafor for tests/test_meta_glmm.py: rma.glmm(measure = "OR"), the logistic-normal
# random-effects models for 2x2 tables (lme4's glmer underneath).
# Regenerate with:  Rscript tests/reference/metafor_glmm.R > tests/reference/metafor_glmm.json
# Datasets ship with metafor: dat.nielweise2007 (catheter infections, rare events with zero cells and one double-zero
# study), dat.bcg (BCG vaccine trials), dat.hine1989 (lidocaine, tau^2 estimated at 0), dat.yusuf1985 (beta blockers,
# table 12b without its two studies with missing counts: tau^2 estimated just above 0). "zero_events" is a small made-up table (fixture data, not evidence) with
# zero-event arms, a double-zero study and a study with events in every participant of one arm.
suppressPackageStartupMessages(library(metafor))

here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "json_helpers.R"))  # num, vec, str_, obj

# glmer's default optimiser (Nelder-Mead) can stop short of the maximum (lme4 warns "failed to converge"); "tight"
# refits with bobyqa run to convergence, which is what an exact maximiser should agree with. model = "UM.RS" makes
# metafor warn that it sets nAGQ to 1; warnings are collected, and only a convergence warning is recorded.
tight <- list(glmerCtrl = list(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-10, maxfun = 1e5)))

fit <- function(ai, bi, ci, di, model = "UM.FS", control = list()) {
  warnings <- character(0)
  res <- withCallingHandlers(
    rma.glmm(measure = "OR", ai = ai, bi = bi, ci = ci, di = di, model = model, control = control),
    warning = function(w) { warnings <<- c(warnings, conditionMessage(w)); invokeRestart("muffleWarning") })
  pr <- predict(res)
  obj(estimate = num(res$b[1]), se = num(res$se), zval = num(res$zval), pval = num(res$pval), ci_lb = num(res$ci.lb),
      ci_ub = num(res$ci.ub), pi_lb = num(pr$pi.lb), pi_ub = num(pr$pi.ub), tau2 = num(res$tau2),
      sigma2 = num(res$sigma2), vt = num(res$vt), i2 = num(res$I2), h2 = num(res$H2), loglik = num(res$fit.stats["ll", "ML"]),
      qe_wld = num(res$QE.Wld), qep_wld = num(res$QEp.Wld), qe_lrt = num(res$QE.LRT), qep_lrt = num(res$QEp.LRT),
      qe_df = num(res$QE.df), k = num(res$k), kept = num(as.integer(!is.na(res$outdat.f$ai))),
      glmer_converged = if (any(grepl("converge", warnings))) "false" else "true")
}

case <- function(name, ai, bi, ci, di, fits) {
  sprintf('"%s": %s', name, obj(ai = num(ai), bi = num(bi), ci = num(ci), di = num(di),
    fits = paste0("{", paste(sprintf('"%s": %s', names(fits), unlist(fits)), collapse = ", "), "}")))
}

parts <- c()
d <- dat.nielweise2007
parts <- c(parts, case("nielweise2007", d$ai, d$n1i - d$ai, d$ci, d$n2i - d$ci, list(
  UM.FS = fit(d$ai, d$n1i - d$ai, d$ci, d$n2i - d$ci),
  UM.FS_tight = fit(d$ai, d$n1i - d$ai, d$ci, d$n2i - d$ci, control = tight),
  UM.RS = fit(d$ai, d$n1i - d$ai, d$ci, d$n2i - d$ci, model = "UM.RS"))))
d <- dat.bcg
parts <- c(parts, case("bcg", d$tpos, d$tneg, d$cpos, d$cneg, list(
  UM.FS = fit(d$tpos, d$tneg, d$cpos, d$cneg),
  UM.FS_tight = fit(d$tpos, d$tneg, d$cpos, d$cneg, control = tight),
  UM.RS = fit(d$tpos, d$tneg, d$cpos, d$cneg, model = "UM.RS"))))
d <- dat.hine1989
parts <- c(parts, case("hine1989", d$ai, d$n1i - d$ai, d$ci, d$n2i - d$ci, list(
  UM.FS = fit(d$ai, d$n1i - d$ai, d$ci, d$n2i - d$ci))))
d <- dat.yusuf1985[dat.yusuf1985$table == "12b" & !is.na(dat.yusuf1985$ai), ]
parts <- c(parts, case("yusuf1985_12b", d$ai, d$n1i - d$ai, d$ci, d$n2i - d$ci, list(
  UM.FS = fit(d$ai, d$n1i - d$ai, d$ci, d$n2i - d$ci))))
z <- data.frame(ai = c(0, 1, 0, 2, 0, 4, 3), bi = c(40, 59, 30, 48, 25, 31, 0), ci = c(3, 4, 0, 6, 2, 9, 2), di = c(37, 56, 30, 44, 23, 26, 3))
parts <- c(parts, case("zero_events", z$ai, z$bi, z$ci, z$di, list(UM.FS = fit(z$ai, z$bi, z$ci, z$di))))

cat(sprintf('{"metafor_version": "%s", "lme4_version": "%s", "R_version": "%s", %s}\n', as.character(packageVersion("metafor")),
            as.character(packageVersion("lme4")), paste(R.version$major, R.version$minor, sep = "."), paste(parts, collapse = ", ")))
