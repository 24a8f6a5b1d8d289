// A JSON document's records (jsonReferenceNode) are read as the document comes, in pieces of
// any size: each record whole and exact, with the line it starts on, the rest of the document
// checked as JSON, and what is wrong named with its line.
import { describe, expect, it } from 'vitest';
import { JsonArrayReader } from '../../lib/connectors/files/json-document';
import { jsonToText } from '../../lib/connectors/files/json-format';

/** [line, {field: cell text}] of each record, the document fed `step` characters at a time. */
function read(doc: string, node: string, step = doc.length) {
  const reader = new JsonArrayReader(node);
  const out = [];
  for (let i = 0; i < doc.length; i += step) out.push(...reader.push(doc.slice(i, i + step)));
  out.push(...reader.end());
  return out.map((r) => [r.line, Object.fromEntries(Object.entries(r.record).map(([k, v]) => [k, jsonToText(v)]))]);
}

const DOC = `{
  "meta": {"items": "not these", "n": [1, {"items": []}], "s": "a \\"}]\\\\ b\\u00e9"},
  "data": {
    "skip": [{"k": "no"}],
    "items": [
      {"k": "v1", "n": 12345678901234567890.50, "o": {"a": [1, "x]}"]}},
      {"k": "v\\u2028 2", "esc": "\\"q\\"", "nul": null, "t": true},
      {}
    ],
    "after": [1, 2, 3e-5, -0.5, false]
  }
}
`;

describe('the records of a JSON document', () => {
  it.each([1, 2, 3, 7, 64, DOC.length])('are the same, each exact, fed %i characters at a time', (step) => {
    expect(read(DOC, 'data.items', step)).toEqual([
      [6, { k: 'v1', n: '12345678901234567890.50', o: '{"a":[1,"x]}"]}' }],
      [7, { k: 'v\u2028 2', esc: '"q"', nul: null, t: 'true' }],
      [8, {}],
    ]);
  });

  it('the document itself is the array when the node is empty', () => {
    expect(read(' [ {"a":1} , {"a":2} ] ', '', 3)).toEqual([
      [1, { a: '1' }],
      [1, { a: '2' }],
    ]);
    expect(read('[]', '')).toEqual([]);
  });

  it('names what is wrong with its line: the path, a record that is no object, broken JSON anywhere', () => {
    const fails = (doc: string, node: string) => () => read(doc, node, 5);
    expect(fails('{"data": {"items": 5}}', 'data.items')).toThrow('jsonReferenceNode data.items is not an array');
    expect(fails('{"data": []}', 'data.items')).toThrow('jsonReferenceNode data.items: items is not inside an object');
    expect(fails('{"other": []}', 'data')).toThrow('jsonReferenceNode data is not an array');
    expect(fails('{"data": [{"a":1},\n 7]}', 'data')).toThrow('element 1 of data is not a JSON object');
    expect(fails('{"data": [], "data": []}', 'data')).toThrow('appears twice');
    // Broken before, inside and after the records: never a run on half a document's meaning.
    expect(fails('{"x": tru, "data": []}', 'data')).toThrow('"tru" is not a JSON value');
    expect(fails('{"data": [{"a": 01}]}', 'data')).toThrow();
    expect(fails('{"data": [{"a":1}]}\n,', 'data')).toThrow('unexpected ","');
    expect(fails('{"data": [{"a":1}], "b": "\\x"}', 'data')).toThrow('\\x is not a JSON escape');
    expect(fails('{"data": [{"a":1}]', 'data')).toThrow('the document ends early');
    expect(fails('{"data": [{"a":"1}]}', 'data')).toThrow('ends inside a string');
    expect(fails('', 'data')).toThrow('the document ends early');
    try {
      read('{\n"data": [\n{"a":1},\n{"a": 1,,}]}', 'data');
      expect.unreachable();
    } catch (e) {
      expect((e as { line: number }).line).toBe(4);
    }
  });

  it('keys are compared decoded, and a key off the path is never taken for it', () => {
    expect(read('{"d\\u0061ta": [{"a":1}]}', 'data')).toEqual([[1, { a: '1' }]]);
    expect(read('{"x": {"data": [{"a":1}]}, "data": [{"a":2}]}', 'data')).toEqual([[1, { a: '2' }]]);
  });

  it('holds no more than the record being read: a document of many records comes out as it goes', () => {
    const reader = new JsonArrayReader('rows');
    expect(reader.push('{"rows": [')).toEqual([]);
    let emitted = 0;
    for (let i = 0; i < 10_000; i++) emitted += reader.push(`${i ? ',' : ''}{"i": ${i}, "pad": "${'x'.repeat(100)}"}`).length;
    // Every record but the last is out once the next one begins (the last ends with its closing brace).
    expect(emitted).toBe(10_000);
    reader.push(']}');
    expect(reader.end()).toEqual([]);
  });
});
