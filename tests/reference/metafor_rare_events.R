# Reference values from R's metafor for tests/test_meta_rare_events.py: rma.mh (Mantel-Haenszel; OR, RR, RD) and
# rma.peto (Peto's one-step odds ratio), with metafor's defaults (add = 1/2, to = "only0", drop00 = TRUE for the
# escalc effect sizes behind Q; no correction for the pooled estimate), at levels 95 and 90.
# Regenerate with:  Rscript tests/reference/metafor_rare_events.R > tests/reference/metafor_rare_events.json
# Datasets ship with metafor: dat.bcg (Colditz 1994, BCG vaccine trials), dat.yusuf1985 table 6 (beta blockers,
# the table of metafor's own rma.peto example; its one row with missing counts, "Snow 1", is left out),
# dat.nielweise2007 (rare events: catheter-related bloodstream infections). "zero_cells", "null_or", "one_study"
# and "no_events_arm1" are small made-up tables (fixture data, not evidence) that exercise zero cells, a double-zero
# study, a study with events in every participant, a pooled OR of exactly 1, a single table, and an undefined estimate.
suppressPackageStartupMessages(library(metafor))

here <- dirname(sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE)))
source(file.path(here, "json_helpers.R"))  # num, vec, str_, obj
# a length-1 vector must still be written as a JSON list

bcg <- dat.bcg
yu <- dat.yusuf1985[dat.yusuf1985$table == "6" & !is.na(dat.yusuf1985$ai), ]
nw <- dat.nielweise2007
datasets <- list(
  bcg = data.frame(ai = bcg$tpos, bi = bcg$tneg, ci = bcg$cpos, di = bcg$cneg, slab = paste(bcg$author, bcg$year)),
  yusuf1985_table6 = data.frame(ai = yu$ai, bi = yu$n1i - yu$ai, ci = yu$ci, di = yu$n2i - yu$ci, slab = yu$trial),
  nielweise2007 = data.frame(ai = nw$ai, bi = nw$n1i - nw$ai, ci = nw$ci, di = nw$n2i - nw$ci, slab = nw$author),
  zero_cells = data.frame(ai = c(0, 2, 0, 5, 12, 1, 4), bi = c(20, 23, 15, 25, 0, 39, 6), ci = c(3, 0, 0, 9, 10, 4, 7),
                          di = c(17, 24, 16, 22, 0, 34, 0), slab = paste("fixture", 1:7)),
  null_or = data.frame(ai = c(4, 2, 5), bi = c(6, 8, 5), ci = c(2, 4, 5), di = c(8, 6, 5), slab = paste("fixture", 1:3)),
  one_study = data.frame(ai = 3, bi = 10, ci = 6, di = 8, slab = "fixture 1")
)

mh_fields <- function(res) {
  obj(k = num(res$k), k_q = num(res$k.yi), estimate = num(res$beta[1]), se = num(res$se), zval = num(res$zval),
      pval = num(res$pval), ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub), q = num(res$QE), q_pval = num(res$QEp),
      i2 = num(res$I2), h2 = num(res$H2), cochran = num(res$CO), cochran_pval = num(res$COp), cmh = num(res$MH),
      cmh_pval = num(res$MHp), breslow_day = num(res$BD), breslow_day_pval = num(res$BDp), tarone = num(res$TA),
      tarone_pval = num(res$TAp), k_pos = num(res$k.pos), weights = vec(weights(res)), yi = vec(res$yi.f),
      vi = vec(res$vi.f))
}
peto_fields <- function(res) {
  obj(k = num(res$k), k_q = num(res$k.yi), estimate = num(res$beta[1]), se = num(res$se), zval = num(res$zval),
      pval = num(res$pval), ci_lb = num(res$ci.lb), ci_ub = num(res$ci.ub), q = num(res$QE), q_pval = num(res$QEp),
      i2 = num(res$I2), h2 = num(res$H2), k_pos = num(res$k.pos), weights = vec(weights(res)), yi = vec(res$yi.f),
      vi = vec(res$vi.f))
}
quiet <- function(expr) suppressWarnings(expr)

cases <- c()
tables <- c()
for (name in names(datasets)) {
  d <- datasets[[name]]
  tables <- c(tables, sprintf('"%s": %s', name, obj(ai = vec(d$ai), bi = vec(d$bi), ci = vec(d$ci), di = vec(d$di),
                                                     labels = str_(d$slab))))
  for (level in c(95, 90)) {
    for (measure in c("OR", "RR", "RD")) {
      for (correct in c(TRUE, FALSE)) {
        if (!correct && (measure != "OR" || level != 95)) next
        res <- quiet(rma.mh(ai = ai, bi = bi, ci = ci, di = di, data = d, measure = measure, level = level,
                            correct = correct))
        cases <- c(cases, obj(dataset = sprintf('"%s"', name), method = '"MH"', measure = sprintf('"%s"', measure),
                              level = num(level / 100), correct = ifelse(correct, "true", "false"),
                              result = mh_fields(res)))
      }
    }
    res <- quiet(rma.peto(ai = ai, bi = bi, ci = ci, di = di, data = d, level = level))
    cases <- c(cases, obj(dataset = sprintf('"%s"', name), method = '"PETO"', measure = '"OR"',
                          level = num(level / 100), correct = "null", result = peto_fields(res)))
  }
}

# No events in arm 1 of any study: metafor returns NA for the MH OR and RR (alsmsc raises MetaError instead), and
# rma.peto still works because the other arm has events.
ne <- data.frame(ai = c(0, 0, 0), bi = c(10, 12, 9), ci = c(1, 3, 0), di = c(9, 9, 10))
undefined <- c()
for (measure in c("OR", "RR")) {
  res <- quiet(rma.mh(ai = ai, bi = bi, ci = ci, di = di, data = ne, measure = measure))
  undefined <- c(undefined, sprintf('"%s": %s', measure, num(res$beta[1])))
}
peto_err <- tryCatch({quiet(rma.peto(ai = c(0, 0), bi = c(5, 6), ci = c(0, 0), di = c(7, 8))); "none"},
                     error = function(e) "error")

cat(sprintf(paste0('{"metafor_version": "%s", "R_version": "%s", "datasets": {%s}, "cases": [%s], "no_events_arm1": %s, ',
                   '"no_events_arm1_estimate": {%s}, "peto_no_events_anywhere": "%s"}\n'),
            as.character(packageVersion("metafor")), paste(R.version$major, R.version$minor, sep = "."),
            paste(tables, collapse = ", "), paste(cases, collapse = ", "), obj(ai = vec(ne$ai), bi = vec(ne$bi), ci = vec(ne$ci), di = vec(ne$di)),
            paste(undefined, collapse = ", "), peto_err))
