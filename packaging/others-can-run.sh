#!/usr/bin/env bash
# Whether other accounts of this machine can reach each PATH given (a file or folder): every
# folder on the way to it must be searchable by others (o+x) and the path itself readable by
# them (o+r). Prints the first folder or file that is not and exits 1; exits 0 when all are
# open. Used by setup.sh: a venv made from a Python under /root (pyenv's ~/.pyenv) or a
# checkout in a home folder cannot be run by any other account (fix15h, fix16b).
set -euo pipefail
status=0
for target in "$@"; do
  real=$(readlink -f -- "$target")
  dir=$(dirname -- "$real")
  open=1
  while :; do
    mode=$(stat -c %A -- "$dir")
    if [ "${mode:9:1}" != "x" ] && [ "${mode:9:1}" != "t" ]; then
      echo "$dir ($mode) is closed to other accounts: they cannot reach $real"
      status=1 open=0
      break
    fi
    [ "$dir" = / ] && break
    dir=$(dirname -- "$dir")
  done
  mode=$(stat -c %A -- "$real")
  if [ "$open" = 1 ] && [ "${mode:7:1}" != "r" ]; then
    echo "$real ($mode) is not readable by other accounts"
    status=1
  fi
done
exit "$status"
