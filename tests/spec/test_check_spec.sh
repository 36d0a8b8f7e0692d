#!/usr/bin/env bash
# Self-test of check-spec: it must pass a good spec and fail each kind of broken one, so that it can never pass
# silently. Small specs and a fake daemon printing routes are written to a temporary folder. TAP output.
# Usage: test_check_spec.sh   (CHECK_SPEC=path overrides the checker; COMMISSIOND_SPEC the real spec)
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
real_spec=${COMMISSIOND_SPEC:-$here/../../api/openapi.yaml}
# The interpreter itself, found once: a version manager's python3 shim costs a second a start.
python=$(python3 -c 'import sys; print(sys.executable)') || exit 2
if [ -n "${CHECK_SPEC:-}" ]; then
    check_spec=("$CHECK_SPEC")
else
    check_spec=("$python" "$here/check-spec")
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The environment of a meson test may name the real daemon: the cases below pass their own.
unset COMMISSIOND_BIN COMMISSIOND_SPEC COMMISSIOND_SOURCE_ROOT

number=0
failed=0

# A minimal spec that satisfies every rule: one list, one creation, one read with a path parameter.
good_spec() {
    cat <<'EOF'
openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /v1/things:
    get:
      operationId: listThings
      responses:
        '200': {$ref: '#/components/responses/Ok'}
        '405': {$ref: '#/components/responses/Problem'}
    post:
      operationId: createThing
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/ThingCreate'}
      responses:
        '201': {$ref: '#/components/responses/Ok'}
        '405': {$ref: '#/components/responses/Problem'}
        '422': {$ref: '#/components/responses/Problem'}
  /v1/things/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
    get:
      operationId: getThing
      responses:
        '200': {$ref: '#/components/responses/Ok'}
        '404': {$ref: '#/components/responses/Problem'}
        '405': {$ref: '#/components/responses/Problem'}
components:
  headers:
    X-Request-Id: {schema: {type: string}}
  responses:
    Ok:
      description: ok
      headers: {X-Request-Id: {$ref: '#/components/headers/X-Request-Id'}}
      content: {application/json: {schema: {type: object}}}
    Problem:
      description: problem
      headers: {X-Request-Id: {$ref: '#/components/headers/X-Request-Id'}}
      content: {application/problem+json: {schema: {type: object}}}
  schemas:
    ThingCreate:
      type: object
      properties:
        name: {type: string}
        tags: {type: array, items: {$ref: '#/components/schemas/Tag'}}
      additionalProperties: false
    Tag:
      type: object
      properties: {label: {type: string}}
      additionalProperties: false
    ProblemCode: {type: string, enum: [not-found, validation-failed]}
    ProblemNotFound:
      allOf:
        - {type: object}
        - properties: {code: {const: not-found}, status: {const: 404}}
    ProblemValidationFailed:
      allOf:
        - {type: object}
        - properties: {code: {const: validation-failed}, status: {const: 422}}
EOF
}

# good_spec with each `s/old/new/` of python-style literal replacements applied: mutate FILE OLD NEW [OLD NEW]...
mutate() {
    local file=$1
    shift
    good_spec | "$python" -c '
import sys
text = sys.stdin.read()
pairs = sys.argv[1:]
for old, new in zip(pairs[0::2], pairs[1::2]):
    if old not in text:
        sys.exit("mutate: %r is not in the good spec" % old)
    text = text.replace(old, new, 1)
sys.stdout.write(text)' "$@" > "$tmp/$file" || exit 2
}

# A fake daemon: `--routes` prints its arguments, one a line.
fake_daemon() {
    local file=$tmp/$1
    shift
    {
        echo '#!/bin/sh'
        echo '[ "$1" = --routes ] || exit 64'
        for route in "$@"; do printf "echo '%s'\n" "$route"; done
    } > "$file"
    chmod +x "$file"
}

# expect NAME STATUS PATTERN -- COMMAND...: the command must exit STATUS and print a line matching PATTERN.
expect() {
    local name=$1 status=$2 pattern=$3
    shift 4
    number=$((number + 1))
    local output rc
    output=$("$@" 2>&1)
    rc=$?
    if [ "$rc" -eq "$status" ] && grep -Eq -- "$pattern" <<<"$output"; then
        echo "ok $number - $name"
    else
        failed=$((failed + 1))
        echo "not ok $number - $name (exit $rc, wanted $status and /$pattern/)"
        sed 's/^/# /' <<<"$output"
    fi
}

good_spec > "$tmp/good.yaml"
# A problem registry in the C header's form, beside the spec's folder as include/errors.h is, and a drifted one.
mkdir -p "$tmp/include"
cat > "$tmp/include/errors.h" <<'EOF'
#define ERROR_REGISTRY(X) \
  X(ERR_NOT_FOUND, "not-found", 404, "Not found") \
  X(ERR_VALIDATION_FAILED, "validation-failed", 422, "The request is not valid")
EOF
cat > "$tmp/errors-drifted.h" <<'EOF'
#define ERROR_REGISTRY(X) \
  X(ERR_NOT_FOUND, "not-found", 410, "Not found") \
  X(ERR_VALIDATION_FAILED, "validation-failed", 422, "The request is not valid") \
  X(ERR_TEAPOT, "teapot", 418, "I am a teapot")
EOF
fake_daemon daemon 'GET /v1/things' 'POST /v1/things' 'GET /v1/things/{id}'
fake_daemon daemon-other-names 'GET /v1/things' 'POST /v1/things' 'GET /v1/things/{thing_id}'
fake_daemon daemon-extra 'GET /v1/things' 'POST /v1/things' 'GET /v1/things/{id}' 'DELETE /v1/things/{id}'
fake_daemon daemon-missing 'GET /v1/things' 'GET /v1/things/{id}'
fake_daemon daemon-garbage 'GET /v1/things' 'POST /v1/things' 'GET /v1/things/{id}' 'get things'
printf '#!/bin/sh\necho "cannot open database" >&2\nexit 3\n' > "$tmp/daemon-fails"
chmod +x "$tmp/daemon-fails"

echo "1..28"

expect "a good spec and the same routes pass" 0 '^check-spec: ok' -- \
    "${check_spec[@]}" "$tmp/good.yaml" "$tmp/daemon"
expect "environment variables name the spec and the binary" 0 '^check-spec: ok' -- \
    env COMMISSIOND_SPEC="$tmp/good.yaml" COMMISSIOND_BIN="$tmp/daemon" "${check_spec[@]}"
expect "path parameter names may differ from the daemon's" 0 '^check-spec: ok' -- \
    "${check_spec[@]}" --spec "$tmp/good.yaml" --bin "$tmp/daemon-other-names"
expect "a served route missing from the spec fails" 1 'served, not in the spec: DELETE /v1/things/\{\}' -- \
    "${check_spec[@]}" "$tmp/good.yaml" "$tmp/daemon-extra"
expect "a spec operation the daemon does not serve fails" 1 'in the spec, not served: POST /v1/things' -- \
    "${check_spec[@]}" "$tmp/good.yaml" "$tmp/daemon-missing"
expect "a malformed --routes line fails" 1 "not \`METHOD /path\`: 'get things'" -- \
    "${check_spec[@]}" "$tmp/good.yaml" "$tmp/daemon-garbage"
expect "a daemon whose --routes fails fails" 1 '--routes exited 3: cannot open database' -- \
    "${check_spec[@]}" "$tmp/good.yaml" "$tmp/daemon-fails"
expect "a missing daemon binary fails" 1 'cannot run --routes' -- \
    "${check_spec[@]}" "$tmp/good.yaml" "$tmp/no-such-daemon"
expect "no daemon binary and no --no-routes is a usage error" 2 'no daemon binary' -- \
    "${check_spec[@]}" "$tmp/good.yaml"

mutate no-405.yaml "        '404': {\$ref: '#/components/responses/Problem'}
        '405': {\$ref: '#/components/responses/Problem'}" "        '404': {\$ref: '#/components/responses/Problem'}"
expect "an operation without a 405 fails" 1 'GET /v1/things/\{id\}: has no 405 response' -- \
    "${check_spec[@]}" --no-routes "$tmp/no-405.yaml"

mutate dangling.yaml "schema: {\$ref: '#/components/schemas/ThingCreate'}" "schema: {\$ref: '#/components/schemas/ThingCreat'}"
expect "a dangling \$ref fails" 1 '\$ref #/components/schemas/ThingCreat resolves to nothing' -- \
    "${check_spec[@]}" --no-routes "$tmp/dangling.yaml"

mutate external.yaml "{\$ref: '#/components/schemas/Tag'}" "{\$ref: 'tag.yaml'}"
expect "an external \$ref fails" 1 'not local to this file' -- \
    "${check_spec[@]}" --no-routes "$tmp/external.yaml"

mutate version.yaml 'openapi: 3.1.0' 'openapi: 3.0.3'
expect "OpenAPI 3.0 fails" 1 'must be an OpenAPI 3.1.x version' -- \
    "${check_spec[@]}" --no-routes "$tmp/version.yaml"

mutate no-opid.yaml '      operationId: getThing
' ''
expect "an operation without operationId fails" 1 'GET /v1/things/\{id\}: no operationId' -- \
    "${check_spec[@]}" --no-routes "$tmp/no-opid.yaml"

mutate dup-opid.yaml 'operationId: getThing' 'operationId: listThings'
expect "a duplicate operationId fails" 1 'operationId listThings already used' -- \
    "${check_spec[@]}" --no-routes "$tmp/dup-opid.yaml"

mutate no-param.yaml '      - {name: id, in: path, required: true, schema: {type: string}}' '      - {name: thing, in: path, required: true, schema: {type: string}}'
expect "an undeclared path parameter fails" 1 'path parameter \{id\} is not declared' -- \
    "${check_spec[@]}" --no-routes "$tmp/no-param.yaml"

mutate open-body.yaml '      properties: {label: {type: string}}
      additionalProperties: false' '      properties: {label: {type: string}}'
expect "a request body object (nested, by \$ref) without additionalProperties: false fails" 1 \
    '#/components/schemas/Tag: request body object schema lacks additionalProperties: false' -- \
    "${check_spec[@]}" --no-routes "$tmp/open-body.yaml"

mutate no-4xx.yaml "        '404': {\$ref: '#/components/responses/Problem'}
        '405': {\$ref: '#/components/responses/Problem'}
" ''
expect "an operation taking input without a 4xx problem response fails" 1 \
    'GET /v1/things/\{id\}: takes input but has no 4xx application/problem\+json response' -- \
    "${check_spec[@]}" --no-routes "$tmp/no-4xx.yaml"

mutate no-responses.yaml "      responses:
        '200': {\$ref: '#/components/responses/Ok'}
        '405': {\$ref: '#/components/responses/Problem'}
    post:" "    post:"
expect "an operation without responses fails" 1 'GET /v1/things: no responses' -- \
    "${check_spec[@]}" --no-routes "$tmp/no-responses.yaml"

mutate no-request-id.yaml "      description: ok
      headers: {X-Request-Id: {\$ref: '#/components/headers/X-Request-Id'}}" "      description: ok"
expect "a response without X-Request-Id fails" 1 'does not declare the X-Request-Id header' -- \
    "${check_spec[@]}" --no-routes "$tmp/no-request-id.yaml"

mutate dup-key.yaml "        '404': {\$ref: '#/components/responses/Problem'}" "        '404': {\$ref: '#/components/responses/Problem'}
        '404': {\$ref: '#/components/responses/Ok'}"
expect "a key written twice in the YAML fails" 1 'duplicate key' -- \
    "${check_spec[@]}" --no-routes "$tmp/dup-key.yaml"

mutate no-401.yaml "openapi: 3.1.0
" "openapi: 3.1.0
security: [{bearer: []}]
"
expect "an operation that needs a token without a 401 response fails" 1 'GET /v1/things: needs a token but has no 401 response' -- \
    "${check_spec[@]}" --no-routes "$tmp/no-401.yaml"

expect "the same problem registry as errors.h passes" 0 'the same problem codes as' -- \
    "${check_spec[@]}" --no-routes --errors "$tmp/include/errors.h" "$tmp/good.yaml"
mkdir -p "$tmp/api"
cp "$tmp/good.yaml" "$tmp/api/openapi.yaml"
expect "include/errors.h beside the spec's api/ folder is found by itself" 0 'the same problem codes as' -- \
    "${check_spec[@]}" --no-routes "$tmp/api/openapi.yaml"
expect "a code missing from the spec fails" 1 'teapot \(418\) is in .*, not in the spec' -- \
    "${check_spec[@]}" --no-routes --errors "$tmp/errors-drifted.h" "$tmp/good.yaml"
expect "a status that differs from errors.h fails" 1 'not-found is 404 in the spec, 410 in' -- \
    "${check_spec[@]}" --no-routes --errors "$tmp/errors-drifted.h" "$tmp/good.yaml"

expect "the project's own spec passes the structural checks" 0 '^check-spec: ok' -- \
    "${check_spec[@]}" --no-routes "$real_spec"

# The checker must also fail the project's spec once one of its $refs dangles.
"$python" -c '
import sys
text = open(sys.argv[1]).read()
old = "#/components/schemas/Organisation'\''"
assert old in text, "the real spec has no $ref to Organisation"
open(sys.argv[2], "w").write(text.replace(old, "#/components/schemas/Organisatio'\''", 1))' \
    "$real_spec" "$tmp/real-dangling.yaml" || exit 2
expect "the project's spec with a dangling \$ref fails" 1 'resolves to nothing' -- \
    "${check_spec[@]}" --no-routes "$tmp/real-dangling.yaml"

echo "# $((number - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
