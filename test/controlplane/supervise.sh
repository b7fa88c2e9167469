#!/usr/bin/env bash
# Runs a command and ends it when standard input closes. The test harness
# keeps the other end of the pipe, so etcd and kube-apiserver go down with the
# harness even when it is killed outright and cannot clean up.
"$@" <&- &
child=$!
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit' TERM INT
# Ends when the harness closes the pipe or dies, or when the child exits first.
while kill -0 "$child" 2>/dev/null; do
  if read -r -t 1 _ || [[ $? -le 128 ]]; then
    kill -TERM "$child" 2>/dev/null
    break
  fi
done
wait "$child"
