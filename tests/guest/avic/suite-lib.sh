# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# Shared by tests/suites/avic.sh and tests/suites/amd-iommu-ga.sh (sourced;
# result() comes from tests/tap-suite.sh).

# avic_report TSV LOG: one result() per line "status<TAB>name<TAB>reason"
# of the results file that avic_host.py / iommu_host.py wrote; the number
# reported is left in AVIC_REPORTED (0 when the file is missing).
avic_report() {
    local tsv=$1 log=$2 status name reason
    AVIC_REPORTED=0
    [ -f "$tsv" ] || return 0
    while IFS=$'\t' read -r status name reason; do
        AVIC_REPORTED=$((AVIC_REPORTED + 1))
        result "$name" "$status" "$reason" "$log"
    done <"$tsv"
}
