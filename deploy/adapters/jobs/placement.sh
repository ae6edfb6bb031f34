#!/bin/sh
# Placement job: pretends to choose where the cluster runs.
. "$(dirname "$0")/lib.sh"
run_step placement PlacementChosen "placement chosen" \
  NoCapacity "no region has capacity for the cluster"
