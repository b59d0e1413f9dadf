#!/usr/bin/env bash
# respawn.sh COMMAND...: run COMMAND, and run it again when it stops on its own (a crash).
#
# `make run`'s supervisor (honcho) stops every process as soon as one of them exits: a Celery worker
# or beat that died took web, the mail catcher and PostgreSQL down with it. Under this wrapper the
# process is started again 2 s later instead. SIGTERM or SIGINT (Ctrl-C of `make run`: honcho sends
# SIGTERM to the whole process group) stop it for good once COMMAND has ended. A command that keeps
# dying within 10 s of its start (5 times in a row: a broken setup, not a fault) is given up on.
set -u
stopping=0
trap 'stopping=1' TERM INT
quick=0
while :; do
  started=$SECONDS
  "$@"
  code=$?
  [ "$stopping" = 1 ] && exit "$code"
  if [ $((SECONDS - started)) -lt 10 ]; then quick=$((quick + 1)); else quick=0; fi
  if [ "$quick" -ge 5 ]; then
    echo "respawn: '$1' stopped 5 times within 10 s of its start (exit code $code); giving up" >&2
    exit "$code"
  fi
  echo "respawn: '$1' stopped (exit code $code); starting it again in 2 s" >&2
  sleep 2 &
  wait $!
  [ "$stopping" = 1 ] && exit "$code"
done
