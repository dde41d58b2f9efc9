// Import templates (RuoYi importTemplate): the header row of each import kind, written as a
// UTF-8 CSV with BOM so Excel opens the Chinese headers correctly. Columns follow DESIGN.md §5
// (roster) and docs/api.md (tax payment files).

export const TEMPLATES = {
  roster: {
    file: '参保人员花名册导入模板.csv',
    headers: ['身份证号', '姓名', '户号', '户籍地区划', '居住地区划', '人员类别', '残疾等级', '特殊事件', '事件日期', '职工医保连续缴费月数', '父母参保', '缴费日期'],
    example: ['341702198601308585', '马芳', 'H341702201001-000001', '341702201001', '341702201001', '低保对象', '', '', '', '', '', ''],
  },
  subsidy_list: {
    file: '资助对象名单导入模板.csv',
    headers: ['身份证号', '姓名', '人员类别', '认定日期'],
    example: ['341702198601308585', '马芳', '低保对象', '2023-09-15'],
  },
  employee_roster: {
    file: '职工医保参保名单导入模板.csv',
    headers: ['身份证号', '姓名', '参保单位', '参保状态'],
    example: ['341702198601308585', '马芳', '池州市某公司', '参保缴费'],
  },
  targets: {
    file: '任务数导入模板.csv',
    headers: ['区划代码', '单位名称', '任务数'],
    example: ['341702100', '梅街镇', '4702'],
  },
  payments: {
    file: '税务缴费记录导入模板.csv',
    headers: ['身份证号', '姓名', '电子税票号码', '缴费金额', '缴费时间', '缴费年度', '征收方式'],
    example: ['341702198601308585', '马芳', '323110000000012345', '380.00', '2023-11-20', '2024', '02'],
  },
}

export function csvCell(v) {
  const s = v === null || v === undefined ? '' : String(v)
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s
}

export function toCsv(rows) {
  return '\uFEFF' + rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n'
}

export function templateCsv(kind) {
  const t = TEMPLATES[kind]
  if (!t) return null
  return toCsv([t.headers, t.example])
}

export function problemsCsv(problems) {
  return toCsv([['行号', '列', '值', '错误原因'], ...(problems || []).map((p) => [p.row ?? '', p.column ?? '', p.value ?? '', p.reason ?? ''])])
}

export function saveText(filename, text, type = 'text/csv;charset=utf-8') {
  const blob = new Blob([text], { type })
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
