#!/usr/bin/env bash
# What selfeval needs from the operating system, installed when missing and possible.
#   deploy/system-packages.sh            fonts and libraries for the DOCX/PDF report
#   deploy/system-packages.sh --tests    also poppler-utils (PDF checks) and chromium (UI tests)
# Without root or apt-get it says what to install and exits 0 (the report then falls back to other
# faces); with --strict (CI) it fails instead.
set -uo pipefail
tests=0; strict=0
for arg in "$@"; do
  case "$arg" in --tests) tests=1 ;; --strict) strict=1 ;; esac
done
need=()
have_font() { command -v fc-list >/dev/null && fc-list 2>/dev/null | grep -q "$1"; }
have_font "Noto Serif CJK SC" || need+=(fonts-noto-cjk)
have_font "AR PL UKai" || need+=(fonts-arphic-ukai)
command -v fc-list >/dev/null || need+=(fontconfig)
ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0" || need+=(libpangoft2-1.0-0)
if [ "$tests" = 1 ]; then
  command -v pdftotext >/dev/null || need+=(poppler-utils)
  command -v chromium >/dev/null || need+=(chromium)
fi
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "selfeval: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
    command -v fc-cache >/dev/null && fc-cache -f >/dev/null 2>&1
    exit 0
  fi
  echo "selfeval: apt-get could not install ${need[*]}" >&2
else
  echo "selfeval: missing system packages: ${need[*]}" >&2
  echo "selfeval: on Debian/Ubuntu: sudo apt-get install ${need[*]}" >&2
  echo "selfeval: without them the PDF uses other faces, and CJK text may not render" >&2
fi
[ "$strict" = 1 ] && exit 1
exit 0
