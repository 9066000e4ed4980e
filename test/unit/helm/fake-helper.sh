#!/bin/sh
# Runs fake-helper.mjs with the Node that runs the tests (HelmClient spawns a helper path without arguments).
exec "${FAKE_NODE:-node}" "$(dirname "$0")/fake-helper.mjs"
