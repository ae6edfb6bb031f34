# Shared by the example job scripts (POSIX sh). run_step waits $JOB_DURATION seconds (default
# 0.2), then writes the job's result to $RESULT_FILE and exits 0 or 1. The step fails when
# FAIL=1, or when the cluster JSON holds "fail_<step>": true, e.g. a cluster created with spec
# {"fail_dns": true}.
#
# Both job runners run these scripts unchanged; $CLUSTER_JSON is a file holding the cluster:
#   local:      a file in the job's dir; $RESULT_FILE a file there too.
#   kubernetes: a file of the Job's ConfigMap, mounted read-only; $RESULT_FILE is
#               /dev/termination-log, which the runner reads back from the pod's status (the
#               kubelet keeps its last 4096 bytes). The root filesystem is read-only: write
#               nothing else.
#
# usage: run_step STEP OK_REASON OK_MESSAGE FAIL_REASON FAIL_MESSAGE
RESULT_FILE=${RESULT_FILE:-/dev/termination-log}

cluster_json() {
  cat "$CLUSTER_JSON"
}

run_step() {
  step=$1
  sleep "${JOB_DURATION:-0.2}"
  if [ "${FAIL:-0}" = 1 ] ||
     cluster_json | grep -Eq "\"fail_${step}\"[[:space:]]*:[[:space:]]*\"?true"; then
    printf '{"status":"failure","reason":"%s","message":"%s"}\n' "$4" "$5" > "$RESULT_FILE"
    echo "$step: failed for cluster $CLUSTER_ID generation $GENERATION"
    exit 1
  fi
  printf '{"status":"success","reason":"%s","message":"%s","data":{"step":"%s","generation":%s}}\n' \
    "$2" "$3" "$step" "$GENERATION" > "$RESULT_FILE"
  echo "$step: done for cluster $CLUSTER_ID generation $GENERATION"
}
