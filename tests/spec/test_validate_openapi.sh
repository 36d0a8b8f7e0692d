#!/usr/bin/env bash
# Self-test of validate-openapi: the pinned linter must fail broken copies of the project's spec (a dangling
# $ref, an example that contradicts its schema, an error that is not problem+json), so that it cannot pass
# silently. TAP output; where validate-openapi itself would skip (no npm or node), a TAP skip ("1..0 # SKIP",
# exit 0: meson 1.0.1 counts a TAP test's exit 77 as an ERROR, newer ones as a skip; both read this as a skip).
# Usage: test_validate_openapi.sh   (VALIDATE_OPENAPI overrides the validator; COMMISSIOND_SPEC the real spec)
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
validate=${VALIDATE_OPENAPI:-$here/validate-openapi}
real_spec=${COMMISSIOND_SPEC:-$here/../../api/openapi.yaml}
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "1..0 # SKIP npm or node is not installed"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# broken NAME OLD NEW: a copy of the real spec with the first OLD replaced by NEW.
broken() {
    python3 -c '
import sys
text = open(sys.argv[1]).read()
if sys.argv[3] not in text:
    sys.exit("test_validate_openapi: %r is not in the spec" % sys.argv[3])
open(sys.argv[2], "w").write(text.replace(sys.argv[3], sys.argv[4], 1))' \
        "$real_spec" "$tmp/$1" "$2" "$3" || exit 2
}

number=0
failed=0
# expect NAME STATUS PATTERN SPEC: validate-openapi SPEC must exit STATUS and print a line matching PATTERN.
expect() {
    number=$((number + 1))
    local output rc
    output=$("$validate" "$4" 2>&1)
    rc=$?
    if [ "$rc" -eq "$2" ] && grep -Eq -- "$3" <<<"$output"; then
        echo "ok $number - $1"
    else
        failed=$((failed + 1))
        echo "not ok $number - $1 (exit $rc, wanted $2 and /$3/)"
        sed 's/^/# /' <<<"$output"
    fi
}

broken dangling.yaml "#/components/schemas/Organisation'" "#/components/schemas/Organisatio'"
broken bad-example.yaml "                version: 1
" "                version: one
"
broken json-error.yaml "        application/problem+json:
          schema:
            \$ref: '#/components/schemas/ProblemForbidden'" "        application/json:
          schema:
            \$ref: '#/components/schemas/ProblemForbidden'"
broken no-title.yaml "        title:
          type: string
          description: A short summary of the problem code" "        summary:
          type: string
          description: A short summary of the problem code"
broken duplicate-enum.yaml "enum: [coordinator, caregiver, curator, landlord, observer, calendar]" \
    "enum: [coordinator, caregiver, curator, landlord, observer, calendar, curator]"
broken mixed-range.yaml "      minimum: 1
      maximum: 500" "      minimum: 1
      exclusiveMinimum: 0
      maximum: 500"

echo "1..7"
expect "the project's spec is valid" 0 '^validate-openapi: ok' "$real_spec"
expect "a dangling \$ref fails" 1 'no-unresolved-refs' "$tmp/dangling.yaml"
expect "an example that contradicts its schema fails" 1 'no-invalid-media-type-examples' "$tmp/bad-example.yaml"
expect "a 4xx that is not application/problem+json fails" 1 'operation-4xx-problem-details-rfc7807' \
    "$tmp/json-error.yaml"
# shellcheck disable=SC2016 # the backquotes are the linter's
expect "a problem schema without title fails (looked for through allOf)" 1 \
    'commissiond/operation-4xx-problem-details-rfc7807: The problem schema of a 4xx has no `title`' "$tmp/no-title.yaml"
expect "a duplicated enum value fails" 1 "no-duplicated-enum-values: Duplicated enum value found: '\"curator\"'" \
    "$tmp/duplicate-enum.yaml"
expect "minimum with exclusiveMinimum fails" 1 'no-mixed-number-range-constraints' "$tmp/mixed-range.yaml"

echo "# $((number - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
