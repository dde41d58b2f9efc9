import { describe, it, expect } from 'vitest'
import { idCheckDigit, makeIdNumber, ymdToDate, daysBetween, parseIdNumber, newbornWindow, addDays, validateNewborn } from '../src/utils/idcard'
import { idChecksumOk } from '../src/utils/format'

describe('GB 11643 check digit', () => {
  it('computes the published examples', () => {
    expect(idCheckDigit('11010519491231002')).toBe('X')
    expect(idCheckDigit('34170219860130858')).toBe('5')
    expect(idCheckDigit('3417021986013085')).toBeNull()
    expect(idCheckDigit('3417021986013085a')).toBeNull()
  })
  it('makeIdNumber builds IDs the format check accepts', () => {
    for (let seq = 1; seq < 40; seq++) {
      const id = makeIdNumber('341702', '20231101', seq)
      expect(id).toHaveLength(18)
      expect(id.slice(6, 14)).toBe('20231101')
      expect(idChecksumOk(id)).toBe(true)
    }
    expect(makeIdNumber('341702', '2023-11-01', 7).slice(0, 17)).toBe('34170220231101007')
  })
})

describe('dates', () => {
  it('accepts real calendar dates only', () => {
    expect(ymdToDate('20231101')).toBe('2023-11-01')
    expect(ymdToDate('20240229')).toBe('2024-02-29')
    expect(ymdToDate('20230229')).toBeNull()
    expect(ymdToDate('20231301')).toBeNull()
    expect(ymdToDate('20231100')).toBeNull()
    expect(ymdToDate('18991231')).toBeNull()
  })
  it('counts days and adds days across months and leap years', () => {
    expect(daysBetween('2023-11-01', '2023-11-20')).toBe(19)
    expect(daysBetween('2024-02-28', '2024-03-01')).toBe(2)
    expect(daysBetween('x', '2023-11-20')).toBeNull()
    expect(addDays('2023-11-01', 90)).toBe('2024-01-30')
  })
})

describe('parseIdNumber', () => {
  const ok = makeIdNumber('341702', '20231101', 12)
  it('gives birth, sex and region of a valid ID', () => {
    const p = parseIdNumber(ok, '2023-11-20')
    expect(p).toMatchObject({ ok: true, id: ok, region: '341702', birth: '2023-11-01', sex: 'F' })
    expect(parseIdNumber(makeIdNumber('341702', '20231101', 13)).sex).toBe('M')
  })
  it('accepts a lower-case x and surrounding blanks', () => {
    expect(parseIdNumber(' 11010519491231002x ').ok).toBe(true)
  })
  it('explains each refusal in Chinese', () => {
    expect(parseIdNumber('').message).toBe('请输入身份证号')
    expect(parseIdNumber('34170220231101').message).toMatch(/18位/)
    expect(parseIdNumber(ok.slice(0, 17) + (ok[17] === '1' ? '2' : '1')).message).toMatch(/校验位/)
    expect(parseIdNumber(makeIdNumber('341702', '20230230', 1)).message).toMatch(/出生日期无效/)
    expect(parseIdNumber(makeIdNumber('000000', '20231101', 1)).message).toMatch(/行政区划/)
    expect(parseIdNumber(makeIdNumber('341702', '20231121', 1), '2023-11-20').message).toMatch(/晚于今日/)
  })
})

describe('newborn 90-day window (民法典第201条: birth day not counted)', () => {
  it('the 90th day after birth is still inside, the 91st is not', () => {
    expect(newbornWindow('2023-11-01', '2023-11-20')).toEqual({ days: 19, within90: true, lastDay: '2024-01-30' })
    expect(newbornWindow('2023-11-01', '2024-01-30').within90).toBe(true)
    expect(newbornWindow('2023-11-01', '2024-01-31').within90).toBe(false)
    expect(newbornWindow('2023-11-21', '2023-11-20')).toBeNull()
  })
})

describe('validateNewborn', () => {
  const id = makeIdNumber('341702', '20231101', 21)
  const opts = { today: '2023-11-20', householdRegion: '341702100201' }
  it('a valid form has no errors or warnings', () => {
    expect(validateNewborn({ id_number: id, name: '张小宝', birth: '2023-11-01' }, opts)).toEqual({ errors: {}, warnings: [] })
  })
  it('requires name and a valid ID, birth must agree with the ID', () => {
    const r = validateNewborn({ id_number: '123', name: ' ', birth: '' }, opts)
    expect(Object.keys(r.errors).sort()).toEqual(['id_number', 'name'])
    expect(validateNewborn({ id_number: id, name: '张小宝', birth: '2023-11-02' }, opts).errors.birth).toMatch(/2023-11-01/)
  })
  it('warns (does not refuse) on an ID issued in another county and on a child older than a year', () => {
    const r = validateNewborn({ id_number: makeIdNumber('340102', '20221001', 3), name: '王宝' }, opts)
    expect(r.errors).toEqual({})
    expect(r.warnings).toHaveLength(2)
    expect(r.warnings[0]).toMatch(/340102/)
  })
})
