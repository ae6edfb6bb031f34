#!/bin/sh
# DNS job: pretends to create the cluster's DNS records.
. "$(dirname "$0")/lib.sh"
run_step dns DnsRecordsCreated "DNS records created" \
  DnsRecordsFailed "the DNS provider refused the records"
