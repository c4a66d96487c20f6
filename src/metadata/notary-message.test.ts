/**
 * The signature message is what Notary's VerifySignatures checks (tuf/signed/verify.go:
 * MarshalCanonical of the generic decode of the served `signed`), also when our parser normalises
 * the body. Expected strings are the output of github.com/docker/go/canonical/json (Debian's
 * golang-github-docker-notary-dev sources in /usr/share/gocode, GOPATH build of a program doing
 * exactly verify.go's two steps). Before this was fixed, a `"custom": null`, `"paths": null` or
 * absent/null `delegations` made the message the normalised body's: a signature Notary refuses
 * verified here, and the reverse.
 * The Go program (GO111MODULE=off GOPATH=/usr/share/gocode go build; stdin = document):
 *   var s struct{ Signed *json.RawMessage `json:"signed"` }; json.Unmarshal(stdin, &s)
 *   var decoded map[string]interface{}; json.Unmarshal(*s.Signed, &decoded)
 *   msg, _ := json.MarshalCanonical(decoded)   // import "github.com/docker/go/canonical/json"
 */
import { describe, expect, it } from 'vitest';
import { parseMetadata } from './parse.js';

const CASES: [string, string][] = [
  [
    '{"signed":{"_type":"Targets","expires":"2030-01-01T00:00:00Z","targets":{"latest":{"custom":null,"hashes":{"sha256":"AAAA"},"length":1}},"version":2},"signatures":[]}',
    '{"_type":"Targets","expires":"2030-01-01T00:00:00Z","targets":{"latest":{"custom":null,"hashes":{"sha256":"AAAA"},"length":1}},"version":2}',
  ],
  [
    '{"signed":{"_type":"Targets","delegations":{"keys":{},"roles":[{"keyids":[],"name":"targets/releases","paths":null,"threshold":1}]},"expires":"2030-01-01T00:00:00Z","targets":{},"version":2},"signatures":[]}',
    '{"_type":"Targets","delegations":{"keys":{},"roles":[{"keyids":[],"name":"targets/releases","paths":null,"threshold":1}]},"expires":"2030-01-01T00:00:00Z","targets":{},"version":2}',
  ],
  [
    '{"signed": {"_type":"Targets","delegations":null,"expires":"2030-01-01T00:00:00Z","targets":{},"version":2},"signatures":[]}',
    '{"_type":"Targets","delegations":null,"expires":"2030-01-01T00:00:00Z","targets":{},"version":2}',
  ],
];

describe('signature message = Notary VerifySignatures message', () => {
  CASES.forEach(([doc, goMessage], i) => {
    it(`case ${i}`, () => {
      const md = parseMetadata(Buffer.from(doc, 'utf8'), 'targets');
      expect(Buffer.from(md.signedMessage().bytes).toString('utf8')).toBe(goMessage);
    });
  });
});
