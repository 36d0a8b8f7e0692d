// Lints an OpenAPI document with Redocly's openapi-core (pinned in package.json): the structure against the
// OpenAPI 3.1 types, $refs, examples against their schemas, plus this project's conventions. Run through
// validate-openapi, which installs the pinned packages first.
// Usage: node lint-openapi.mjs SPEC   Exit: 0 no problem, 1 problems (listed), 2 could not lint.
import { createConfig, lint, getLineColLocation } from '@redocly/openapi-core';

const rules = {
  // The problem registry (components/responses) and the shared formats (Date, Money) are declared whole on
  // purpose, for the routes to come; an unused component is not a mistake here.
  'no-unused-components': 'off',
  // The conventions every route follows (api/openapi.yaml, info.description).
  'operation-4xx-problem-details-rfc7807': 'error',
  'request-mime-type': { severity: 'error', allowedValues: ['application/json'] },
  'response-mime-type': {
    severity: 'error',
    // text/plain: /metrics (Prometheus); text/html: the printable minutes of a session (Accept: text/html);
    // text/csv: the reports (Accept: text/csv).
    allowedValues: ['application/json', 'application/problem+json', 'text/plain; version=0.0.4; charset=utf-8',
                    'text/html; charset=utf-8', 'text/csv; charset=utf-8'],
  },
  'response-contains-header': {
    severity: 'error',
    names: Object.fromEntries(['1XX', '2XX', '3XX', '4XX', '5XX', 'default'].map((key) => [key, ['X-Request-Id']])),
  },
  'operation-description': 'error',
  'tag-description': 'error',
  'no-invalid-schema-examples': 'error',
  'no-invalid-parameter-examples': 'error',
  'no-ambiguous-paths': 'error',
  'no-path-trailing-slash': 'error',
  'paths-kebab-case': 'error',
  'no-duplicated-enum-values': 'error',
  'no-required-schema-properties-undefined': 'error',
  'no-mixed-number-range-constraints': 'error',
  'no-schema-type-mismatch': 'error',
  'no-enum-type-mismatch': 'error',
  'component-name-unique': 'error',
  'spec-strict-refs': 'error',
};

async function main(specPath) {
  const config = await createConfig({ extends: ['recommended-strict'], rules });
  const problems = await lint({ ref: specPath, config });
  for (const problem of problems) {
    const location = problem.location && problem.location[0];
    let where = specPath;
    if (location) {
      const lineCol = getLineColLocation(location);
      where = `${location.source.absoluteRef}:${lineCol.start.line}:${lineCol.start.col} ${location.pointer}`;
    }
    console.log(`${where}: ${problem.severity} ${problem.ruleId}: ${problem.message}`);
  }
  const counted = problems.filter((p) => p.severity === 'error' || p.severity === 'warn').length;
  if (counted > 0) {
    console.log(`validate-openapi: ${counted} problem${counted === 1 ? '' : 's'} in ${specPath}`);
    return 1;
  }
  console.log(`validate-openapi: ok: ${specPath}`);
  return 0;
}

if (process.argv.length !== 3) {
  console.error('usage: node lint-openapi.mjs SPEC');
  process.exit(2);
}
main(process.argv[2]).then(
  (status) => process.exit(status),
  (error) => {
    console.error(`validate-openapi: cannot lint ${process.argv[2]}: ${error && error.message ? error.message : error}`);
    process.exit(2);
  },
);
