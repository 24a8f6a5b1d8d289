// Declared-input validation: what a caller sees for each kind of bad input value.
import { describe, expect, it } from 'vitest';
import { input, validateInputs } from '../../lib/connectors/inputs';
import { flattenConfigValues, renderConfigValues } from '../../lib/model/config-values';

const decls = [
  input.string('toJobConfig.tableName', { mandatory: true }),
  input.enum('toJobConfig.tablePreparation', ['DO_NOTHING', 'CREATE_WHEN_NOT_EXIST'], { default: 'DO_NOTHING' }),
  input.boolean('toJobConfig.useStageTable', { default: 'false' }),
  input.integer('toJobConfig.batch', { min: 1, max: 10 }),
];

describe('validateInputs', () => {
  it('fills defaults and normalises booleans and enum case', () => {
    expect(
      validateInputs(decls, { 'toJobConfig.tableName': 't', 'toJobConfig.useStageTable': 'TRUE', 'toJobConfig.tablePreparation': 'create_when_not_exist' }, ['toJobConfig']),
    ).toEqual({ 'toJobConfig.tableName': 't', 'toJobConfig.useStageTable': 'true', 'toJobConfig.tablePreparation': 'CREATE_WHEN_NOT_EXIST' });
  });

  it.each([
    [{}, 'Cdm.0014', 'toJobConfig.tableName is mandatory.'],
    [{ 'toJobConfig.tableName': 't', 'toJobConfig.tabelName': 'x' }, 'Cdm.0089', 'Configuration item [toJobConfig.tabelName] does not exist.'],
    [{ 'toJobConfig.tableName': 't', 'fromJobConfig.tableName': 'x' }, 'Cdm.0089', 'Configuration item [fromJobConfig.tableName] does not exist.'],
    [{ 'toJobConfig.tableName': 't', 'toJobConfig.useStageTable': 'yes' }, 'Cdm.0004', 'toJobConfig.useStageTable must be true or false; got "yes".'],
    [{ 'toJobConfig.tableName': 't', 'toJobConfig.batch': '1.5' }, 'Cdm.0004', 'toJobConfig.batch must be an integer; got "1.5".'],
    [{ 'toJobConfig.tableName': 't', 'toJobConfig.batch': '11' }, 'Cdm.0011', 'toJobConfig.batch must be between 1 and 10; got 11.'],
    [{ 'toJobConfig.tableName': 't', 'toJobConfig.tablePreparation': 'X' }, 'Cdm.0014', 'toJobConfig.tablePreparation must be one of DO_NOTHING, CREATE_WHEN_NOT_EXIST; got "X".'],
  ])('%j → %s', (given, code, message) => {
    expect(() => validateInputs(decls, given, ['toJobConfig'])).toThrow(expect.objectContaining({ code, message }));
  });
});

describe('config values as clients send them', () => {
  it('reads strings, numbers, booleans, `values`, null and `"inputs": {}` into one string map', () => {
    const parsed = flattenConfigValues({
      configs: [
        { name: 'a', inputs: [{ name: 'a.s', value: 'x' }, { name: 'a.n', value: 3 }, { name: 'a.b', values: true }, { name: 'a.none', value: null }] },
        { name: 'b', inputs: [] },
      ],
    });
    expect(parsed.inputs).toEqual({ 'a.s': 'x', 'a.n': '3', 'a.b': 'true' });
  });

  it('renders inputs back grouped by config, masking what the caller says to mask', () => {
    const body = renderConfigValues({ 'linkConfig.host': 'h', 'linkConfig.password': 'pw', 'dialect.identifierEnclose': '`' }, [], (n, v) =>
      n.endsWith('password') ? '******' : v,
    );
    expect(body).toEqual({
      configs: [
        { name: 'linkConfig', inputs: [{ name: 'linkConfig.host', value: 'h' }, { name: 'linkConfig.password', value: '******' }] },
        { name: 'dialect', inputs: [{ name: 'dialect.identifierEnclose', value: '`' }] },
      ],
    });
  });
});
