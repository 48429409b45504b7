#!/usr/bin/env bash
# Debian packages used by the tests:
#   chromium        headless browser test of the built book
#   r-cran-metafor  R's metafor, the reference implementation the meta-analysis module is cross-checked against
#   r-cran-lme4     lme4, which metafor's rma.glmm uses for the logistic-normal model of rare-event proportions
# Installs what is missing when this user can (root, or password-less sudo); otherwise says how, and the tests that
# need a package fail with the same instruction (they never skip silently).
set -uo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
{ command -v Rscript >/dev/null 2>&1 && Rscript -e 'library(metafor)' >/dev/null 2>&1; } || missing+=(r-cran-metafor)
{ command -v Rscript >/dev/null 2>&1 && Rscript -e 'library(lme4)' >/dev/null 2>&1; } || missing+=(r-cran-lme4)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo="none"; fi
if [ "$sudo" = none ] || ! command -v apt-get >/dev/null; then
  echo "note: missing system packages: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
echo "installing system packages: ${missing[*]} (first run only; a few minutes)" >&2
$sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q "${missing[@]}" >/dev/null \
  && echo "installed: ${missing[*]}" \
  || echo "warning: could not install ${missing[*]}; the tests that need them will fail until they are installed" >&2
exit 0
