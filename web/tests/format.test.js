import { describe, it, expect } from 'vitest'
import { fenToYuan, yuanToFen, maskId, maskName, percent, count, sumFen, idChecksumOk } from '../src/utils/format'

describe('fenToYuan', () => {
  it('formats integer fen with two decimals', () => {
    expect(fenToYuan(38000)).toBe('380.00')
    expect(fenToYuan(3800)).toBe('38.00')
    expect(fenToYuan(1)).toBe('0.01')
    expect(fenToYuan(10)).toBe('0.10')
    expect(fenToYuan(0)).toBe('0.00')
    expect(fenToYuan(34200)).toBe('342.00')
  })
  it('handles negatives (reversals) without float error', () => {
    expect(fenToYuan(-3800)).toBe('-38.00')
    expect(fenToYuan(-1)).toBe('-0.01')
  })
  it('groups thousands and adds unit when asked', () => {
    expect(fenToYuan(14820000, { group: true })).toBe('148,200.00')
    expect(fenToYuan(52020000000, { group: true, unit: true })).toBe('520,200,000.00 元')
  })
  it('is exact where floats are not', () => {
    // 0.1 + 0.2 style traps: 1001 fen, 2^53 - 1 fen
    expect(fenToYuan(1001)).toBe('10.01')
    expect(fenToYuan(Number.MAX_SAFE_INTEGER)).toBe('90071992547409.91')
    expect(fenToYuan(12345678901234567n)).toBe('123456789012345.67')
  })
  it('returns a dash for missing or non-integer values', () => {
    expect(fenToYuan(null)).toBe('—')
    expect(fenToYuan(undefined)).toBe('—')
    expect(fenToYuan(1.5)).toBe('—')
    expect(fenToYuan('abc')).toBe('—')
  })
})

describe('yuanToFen', () => {
  it('parses typed yuan into integer fen', () => {
    expect(yuanToFen('38')).toBe(3800)
    expect(yuanToFen('38.5')).toBe(3850)
    expect(yuanToFen('38.05')).toBe(3805)
    expect(yuanToFen(' 1,020.00 ')).toBe(102000)
    expect(yuanToFen('0.29')).toBe(29) // 0.29 * 100 = 28.999999999999996 in floats
  })
  it('rejects bad input', () => {
    expect(yuanToFen('38.123')).toBeNull()
    expect(yuanToFen('abc')).toBeNull()
    expect(yuanToFen('')).toBeNull()
    expect(yuanToFen(null)).toBeNull()
  })
  it('round-trips with fenToYuan', () => {
    for (const f of [0, 1, 99, 100, 3800, 34200, 38000, 123456789]) expect(yuanToFen(fenToYuan(f))).toBe(f)
  })
})

describe('masking', () => {
  it('masks 18-digit IDs as 6 + 8 stars + 4', () => {
    expect(maskId('341702198601308585')).toBe('341702********8585')
    expect(maskId('34170219860130858X')).toBe('341702********858X')
  })
  it('keeps already masked IDs', () => {
    expect(maskId('341702********1234')).toBe('341702********1234')
  })
  it('masks 15-digit legacy IDs', () => {
    expect(maskId('341702860130858')).toBe('341702*****0858')
  })
  it('masks names', () => {
    expect(maskName('张三')).toBe('张*')
    expect(maskName('张小三')).toBe('张*三')
    expect(maskName('欧阳小明')).toBe('欧**明')
    expect(maskName('张*')).toBe('张*')
    expect(maskName('')).toBe('')
  })
})

describe('other formatting', () => {
  it('percent and count', () => {
    expect(percent(0.8294)).toBe('82.94%')
    expect(percent(null)).toBe('—')
    expect(count(1583685)).toBe('1,583,685')
  })
  it('sums fen exactly', () => {
    expect(sumFen([3800, 3800, 34200, null])).toBe(41800)
  })
  it('checks GB 11643 check digits', () => {
    expect(idChecksumOk('341702198601308585')).toBe(true)
    expect(idChecksumOk('341702198601308584')).toBe(false)
    expect(idChecksumOk('11010519491231002X')).toBe(true)
    expect(idChecksumOk('123')).toBe(false)
  })
})
