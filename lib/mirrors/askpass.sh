#!/bin/sh
# git-goproxy's credential prompt for mirror fetches: git runs it (GIT_ASKPASS) when a remote asks
# for credentials, with the prompt as its argument, and reads the answer from its output. The
# answers come from the environment of that one fetch, never from a file or a command line.
case "$1" in
  Username*) printf '%s\n' "$GIT_GOPROXY_REMOTE_USERNAME" ;;
  *) printf '%s\n' "$GIT_GOPROXY_REMOTE_PASSWORD" ;;
esac
