# JSON writers shared by the metafor_*.R reference scripts: 17 significant digits, NA as null, Inf as 1e999.
# Sourced by each script from its own folder (see the first lines of every metafor_*.R).
num <- function(x) {
  if (length(x) == 0) return("[]")
  s <- ifelse(is.na(x), "null", trimws(formatC(as.numeric(x), digits = 17, format = "g")))
  s <- gsub("Inf", "1e999", s)
  if (length(x) == 1) s else paste0("[", paste(s, collapse = ", "), "]")
}
vec <- function(x) if (length(x) == 1) paste0("[", num(x), "]") else num(x)  # always a JSON array
str_ <- function(x) paste0("[", paste0('"', x, '"', collapse = ", "), "]")
obj <- function(...) {
  kv <- list(...)
  paste0("{", paste(sprintf('"%s": %s', names(kv), unlist(kv)), collapse = ", "), "}")
}
