// Lints an OpenAPI document with Redocly's openapi-core (pinned in package.json): the structure against the
// OpenAPI 3.1 types, $refs, examples against their schemas, plus this project's conventions. Run through
// validate-openapi, which installs the pinned packages first.
// Usage: node lint-openapi.mjs SPEC   Exit: 0 no problem, 1 problems (listed), 2 could not lint.
//
// The pin is openapi-core 1.34, the last line that runs on Debian 12's nodejs 18 (2.x needs node 20.19+). Three
// checks that 1.34 lacks or gets wrong are this file's own rules (`commissiond/...`), written after 2.x's: a 4xx
// problem schema's `type` and `title` are looked for through allOf (1.34 wants them in every allOf member), and
// duplicated enum values and mixed number range constraints (rules 1.34 does not have).
import { createConfig, lint, getLineColLocation } from '@redocly/openapi-core';

// resolved(node, resolve): NODE with its $ref followed (the referenced node), or NODE itself.
function resolved(node, resolve) {
  return node && typeof node === 'object' && typeof node.$ref === 'string' ? resolve(node).node : node;
}

// hasProperty(schema, name, resolve): a value valid against SCHEMA declares property NAME: SCHEMA's properties
// name it, or one of its allOf members does, or every member of its oneOf (anyOf) does.
function hasProperty(schema, name, resolve, seen = new Set()) {
  schema = resolved(schema, resolve);
  if (!schema || typeof schema !== 'object' || seen.has(schema)) return false;
  seen.add(schema);
  if (schema.properties && Object.prototype.hasOwnProperty.call(schema.properties, name)) return true;
  if ((schema.allOf || []).some((member) => hasProperty(member, name, resolve, seen))) return true;
  for (const key of ['oneOf', 'anyOf']) {
    const members = schema[key] || [];
    if (members.length > 0 && members.every((member) => hasProperty(member, name, resolve, new Set(seen)))) {
      return true;
    }
  }
  return false;
}

const plugin = {
  id: 'commissiond',
  rules: {
    oas3: {
      // RFC 7807 / 9457: a 4xx answers application/problem+json whose schema has `type` and `title`.
      'operation-4xx-problem-details-rfc7807': () => ({
        Response: {
          skip: (_, key) => !/^4[Xx0-9]{2}$/.test(String(key)),
          enter(response, { report, location, resolve }) {
            const media = response.content && response.content['application/problem+json'];
            if (!media) {
              report({ message: 'Response `4xx` must have content-type `application/problem+json`.',
                       location: location.key() });
              return;
            }
            if (!media.schema) {
              report({ message: 'The `application/problem+json` of a 4xx has no schema.',
                       location: location.child(['content', 'application/problem+json']) });
              return;
            }
            for (const name of ['type', 'title']) {
              if (!hasProperty(media.schema, name, resolve)) {
                report({ message: `The problem schema of a 4xx has no \`${name}\` property.`,
                         location: location.child(['content', 'application/problem+json', 'schema']) });
              }
            }
          },
        },
      }),
      'no-duplicated-enum-values': () => ({
        Schema(schema, { report, location }) {
          if (!Array.isArray(schema.enum)) return;
          const seen = new Set();
          schema.enum.forEach((value, index) => {
            const key = JSON.stringify(value);
            if (seen.has(key)) {
              report({ message: `Duplicated enum value found: '${key}'.`, location: location.child(['enum', index]) });
            }
            seen.add(key);
          });
        },
      }),
      'no-mixed-number-range-constraints': () => ({
        Schema(schema, { report, location }) {
          for (const [bound, exclusive] of [['maximum', 'exclusiveMaximum'], ['minimum', 'exclusiveMinimum']]) {
            if (typeof schema[bound] === 'number' && typeof schema[exclusive] === 'number') {
              report({ message: `Schema should not have both \`${bound}\` and \`${exclusive}\`.`,
                       location: location.child([exclusive]).key() });
            }
          }
        },
      }),
    },
  },
};

const rules = {
  // The problem registry (components/responses) and the shared formats (Date, Money) are declared whole on
  // purpose, for the routes to come; an unused component is not a mistake here.
  'no-unused-components': 'off',
  // The conventions every route follows (api/openapi.yaml, info.description).
  'operation-4xx-problem-details-rfc7807': 'off', // 1.34's: replaced by ours, which follows allOf
  'commissiond/operation-4xx-problem-details-rfc7807': 'error',
  // text/csv: a spreadsheet's file to import (POST /v1/imports).
  'request-mime-type': { severity: 'error', allowedValues: ['application/json', 'text/csv'] },
  'response-mime-type': {
    severity: 'error',
    // text/plain: /metrics (Prometheus); text/html: the printable minutes of a session, its agenda pack and the
    // decision letters (Accept: text/html); text/csv: the reports (Accept: text/csv); text/calendar: the
    // calendar feed of sessions (RFC 5545); text/css and text/javascript: the web front's files (src/web).
    allowedValues: ['application/json', 'application/problem+json', 'text/plain; version=0.0.4; charset=utf-8',
                    'text/html; charset=utf-8', 'text/csv; charset=utf-8', 'text/calendar; charset=utf-8',
                    'text/css; charset=utf-8', 'text/javascript; charset=utf-8'],
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
  'commissiond/no-duplicated-enum-values': 'error',
  'no-required-schema-properties-undefined': 'error',
  'commissiond/no-mixed-number-range-constraints': 'error',
  'no-schema-type-mismatch': 'error',
  'no-enum-type-mismatch': 'error',
  'component-name-unique': 'error',
  'spec-strict-refs': 'error',
};

async function main(specPath) {
  const config = await createConfig({ extends: ['recommended-strict'], plugins: [plugin], rules });
  // openapi-core ignores a rule it does not know: a rule named here must exist, or the check would be lost silently.
  // (A plugin's rules are listed under their full name, `id/name`.)
  const known = new Set(config.styleguide.plugins.flatMap((p) => Object.keys((p.rules && p.rules.oas3) || {})));
  const unknown = Object.keys(rules).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    console.error(`validate-openapi: the linter has no rule ${unknown.join(', ')}`);
    return 2;
  }
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
