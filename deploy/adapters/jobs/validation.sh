#!/bin/sh
# Validation job: pretends to check the cluster's spec.
. "$(dirname "$0")/lib.sh"
run_step validation ClusterValid "the cluster spec is valid" \
  ClusterInvalid "the cluster spec failed validation"
