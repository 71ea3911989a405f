#!/usr/bin/env bash
# What selfeval needs from the operating system, installed when missing and possible.
#   deploy/system-packages.sh            fonts and libraries for the DOCX/PDF report (CJK faces, Liberation Serif
#                                        for the Latin text, the GB/T 9704 fallbacks)
#   deploy/system-packages.sh --tests    also poppler-utils (PDF checks), chromium (UI tests) and LibreOffice
#                                        (libreoffice-writer-nogui: the DOCX opened as an office opens it;
#                                        libreoffice-calc-nogui: the project forms' XLSX the same way)
# It also installs deploy/fontconfig/65-selfeval-gbt9704.conf, the free fallbacks of the GB/T 9704 faces
# (方正小标宋简体, 黑体, 楷体_GB2312, 仿宋_GB2312) for LibreOffice and WeasyPrint: into /etc/fonts/conf.d as root,
# else into ~/.config/fontconfig/conf.d.
# Without root or apt-get it says what to install and exits 0 (the report then falls back to other
# faces); with --strict (CI) it fails instead.
set -uo pipefail
tests=0; strict=0
for arg in "$@"; do
  case "$arg" in --tests) tests=1 ;; --strict) strict=1 ;; esac
done
need=()
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
faces="$here/fontconfig/65-selfeval-gbt9704.conf"
if [ "$(id -u)" = 0 ]; then conf_dir=/etc/fonts/conf.d; else conf_dir="$HOME/.config/fontconfig/conf.d"; fi
install_faces() {
  if ! cmp -s "$faces" "$conf_dir/$(basename "$faces")" 2>/dev/null; then
    mkdir -p "$conf_dir" && cp "$faces" "$conf_dir/" && command -v fc-cache >/dev/null && fc-cache -f >/dev/null 2>&1
  fi
  return 0
}
have_font() { command -v fc-list >/dev/null && [ -n "$(fc-list "$1" 2>/dev/null)" ]; }  # no grep -q: with pipefail, its early exit fails the pipe
have_font "Noto Serif CJK SC" || need+=(fonts-noto-cjk)
have_font "AR PL UKai CN" || need+=(fonts-arphic-ukai)
# the Latin face of digits and letters (the DOCX names Times New Roman; offices substitute the metric-compatible
# Liberation Serif): pinned, so that no machine sets them in whatever another package happened to bring
have_font "Liberation Serif" || need+=(fonts-liberation2)
command -v fc-list >/dev/null || need+=(fontconfig)
ldconfig -p 2>/dev/null | grep -q "libpangoft2-1.0" || need+=(libpangoft2-1.0-0)
if [ "$tests" = 1 ]; then
  command -v pdftotext >/dev/null || need+=(poppler-utils)
  command -v chromium >/dev/null || need+=(chromium)
  command -v soffice >/dev/null || need+=(libreoffice-writer-nogui)
  [ -e /usr/lib/libreoffice/program/libsclo.so ] || need+=(libreoffice-calc-nogui)  # Calc, which opens XLSX
fi
[ ${#need[@]} -eq 0 ] && { install_faces; exit 0; }
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "selfeval: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; then
    command -v fc-cache >/dev/null && fc-cache -f >/dev/null 2>&1
    install_faces
    exit 0
  fi
  echo "selfeval: apt-get could not install ${need[*]}" >&2
else
  echo "selfeval: missing system packages: ${need[*]}" >&2
  echo "selfeval: on Debian/Ubuntu: sudo apt-get install ${need[*]}" >&2
  echo "selfeval: without them the PDF uses other faces, and CJK text may not render" >&2
fi
install_faces
[ "$strict" = 1 ] && exit 1
exit 0
