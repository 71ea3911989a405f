-- Rule views: what each rule of the registry (expectations/*.json, meta "view") checks, one row per
-- thing checked, with the department it belongs to and the file (_source) and line (_row) it came
-- from. Each block, named by its "-- name:" line, is view chk_<name> in the run database. _idx
-- identifies its rows (GX reports failing rows by it) and orders them as the source files do: a
-- staged row's _seq where a view has one row per staged row, else a row_number().
-- provided / expected / difference are what the error report shows (分 for money).

-- name: budget_lines
SELECT * EXCLUDE (_seq),
       executed - budget AS over_budget,
       -- what is left to carry over; nothing when the line is over budget (FIN-001 says so), never less
       GREATEST(budget - executed, 0) AS unspent,
       carryover - GREATEST(budget - executed, 0) AS carryover_excess,
       _seq AS _idx
FROM stg_budget_lines

-- name: payments
-- Each payment, with its 支付日期's year and, when another payment carries its 支付凭证号 too, that voucher
-- (int_repeated_vouchers: FIN-004 fails every payment of a repeated voucher, the first included, and GX's
-- Data Docs list the vouchers).
SELECT p.* EXCLUDE (_seq),
       CAST(year(p.pay_date) AS BIGINT) AS pay_year,
       r.voucher_no AS repeated_voucher_no,
       p._seq AS _idx
FROM stg_payments p
LEFT JOIN int_repeated_vouchers r ON r.voucher_no = p.voucher_no

-- name: summary
SELECT * EXCLUDE (_seq), _seq AS _idx
FROM stg_summary

-- name: summary_items
-- One row per department of the run and 决算总表 item it must state (合计); present says whether it
-- does. A department with no 决算总表 rows at all fails too, unless its year is open (no 决算总表 file
-- yet, and the year not closed by SELFEVAL_CLOSED_YEARS: stg_open_departments). A missing row has no
-- line number, but still names the file it is missing from, when the department has one.
WITH files AS (
    SELECT department_code, first(_source ORDER BY _seq) AS _source FROM stg_summary GROUP BY department_code
)
SELECT d.department_code, r.item, t._row, f._source, t._row IS NOT NULL AS present,
       row_number() OVER (ORDER BY d.department_code, r.item, t._seq) - 1 AS _idx
FROM stg_departments d
CROSS JOIN (SELECT item FROM ref_summary_items WHERE part_of = 'total') r
LEFT JOIN files f ON f.department_code = d.department_code
LEFT JOIN stg_summary t ON t.department_code = d.department_code AND t.item = r.item
WHERE d.department_code NOT IN (SELECT department_code FROM stg_open_departments)

-- name: summary_fund_parts
-- The 决算总表's 合计 (provided: as the row named states it) against its 资金来源 parts added up (expected),
-- measure by measure.
SELECT t.department_code, '资金来源' AS "check", t.measure, t.total AS provided, coalesce(p.part_sum, 0) AS expected,
       t._source, t._row, provided - expected AS difference, row_number() OVER (ORDER BY t.k, t._seq) - 1 AS _idx
FROM int_summary_total_measures t LEFT JOIN int_summary_parts_by_measure p
  ON p.department_code = t.department_code AND p.measure = t.measure AND p.part_of = '资金来源'

-- name: summary_expense_parts
-- The 决算总表's 合计 (provided: as the row named states it) against its 支出性质 parts added up (expected),
-- measure by measure.
SELECT t.department_code, '支出性质' AS "check", t.measure, t.total AS provided, coalesce(p.part_sum, 0) AS expected,
       t._source, t._row, provided - expected AS difference, row_number() OVER (ORDER BY t.k, t._seq) - 1 AS _idx
FROM int_summary_total_measures t LEFT JOIN int_summary_parts_by_measure p
  ON p.department_code = t.department_code AND p.measure = t.measure AND p.part_of = '支出性质'

-- name: lines_vs_summary
-- The 决算总表's 合计 (provided: as the row named states it) against the budget lines added up (expected),
-- measure by measure.
SELECT t.department_code, t.measure, t.total AS provided, coalesce(p.part_sum, 0) AS expected,
       t._source, t._row, provided - expected AS difference, row_number() OVER (ORDER BY t.k, t._seq) - 1 AS _idx
FROM int_summary_total_measures t LEFT JOIN int_line_sums_by_measure p
  ON p.department_code = t.department_code AND p.measure = t.measure

-- name: lines_vs_summary_parts
-- Each 决算总表 row of a 资金来源 or a 支出性质 (provided: as the row states it) against the budget lines of that
-- 资金来源 or 支出性质 added up (expected), measure by measure: the lines' breakdown is the 决算总表's, not only
-- their 合计 (a 基本支出 line marked 项目支出 moves 基本支出 in the report).
SELECT s.department_code, r.part_of AS "check", s.item, m.measure,
       CASE m.measure WHEN 'budget' THEN s.budget WHEN 'executed' THEN s.executed ELSE s.carryover END AS provided,
       coalesce(p.part_sum, 0) AS expected, s._source, s._row, provided - expected AS difference,
       row_number() OVER (ORDER BY s._seq, m.k) - 1 AS _idx
FROM stg_summary s
JOIN ref_summary_items r ON r.item = s.item AND r.part_of <> 'total'
CROSS JOIN int_measures m
LEFT JOIN int_line_sums_by_part p
  ON p.department_code = s.department_code AND p.part_of = r.part_of AND p.item = s.item AND p.measure = m.measure

-- name: ledger_vs_lines
-- Each budget line's reported execution (provided, as the line states it) against the sum of its
-- payments (expected): the error row reads "executed=<the line's figure>, expected <the ledger's>".
SELECT l.department_code, l.line_id, l.project_name, l.executed, l._row, l._source,
       l.executed AS provided, coalesce(g.executed_fen, 0) AS expected, provided - expected AS difference,
       l._seq AS _idx
FROM stg_budget_lines l
LEFT JOIN int_line_ledger g ON g.department_code = l.department_code AND g.line_id = l.line_id

-- name: ledger_vs_department
-- A department's budget lines' execution added up (provided, as the lines state it, which REC-004 holds to the
-- 决算总表's 合计) against its payments added up (expected: the 执行数 its report shows). REC-003's tolerance is a
-- line's: lines each within it may add up beyond it (16 lines each 99.99 元 short: 1,599.84 元, unsaid). Names the
-- 决算总表's 合计 row, or in an open year (no 决算总表) the lines' file and first row.
SELECT l.department_code, l.provided, coalesce(g.expected, 0) AS expected, l.provided - coalesce(g.expected, 0)
       AS difference, coalesce(t._source, l._source) AS _source, coalesce(t._row, l._row) AS _row,
       row_number() OVER (ORDER BY l._seq) - 1 AS _idx
FROM (SELECT department_code, sum(executed) AS provided, min(_source) AS _source, min(_row) AS _row,
             min(_seq) AS _seq
      FROM stg_budget_lines GROUP BY department_code) l
LEFT JOIN (SELECT department_code, sum(executed_fen) AS expected FROM int_line_ledger GROUP BY department_code) g
  ON g.department_code = l.department_code
LEFT JOIN int_summary_total_measures t ON t.department_code = l.department_code AND t.measure = 'executed'

-- name: payment_lines
-- Each payment with whether its 指标编号 is one of its department's budget lines.
SELECT p.department_code, p.voucher_no, p.line_id, p._row, p._source, k.line_id IS NOT NULL AS line_known,
       p._seq AS _idx
FROM stg_payments p
LEFT JOIN (SELECT DISTINCT department_code, line_id FROM stg_budget_lines) k
       ON k.department_code = p.department_code AND k.line_id = p.line_id

-- name: applications
SELECT a.* EXCLUDE (_seq),
       coalesce(a.uscc IN (SELECT uscc FROM stg_enterprises), false) AS enterprise_known,
       a._seq AS _idx
FROM int_department_applications a

-- name: investment_projects
SELECT i.* EXCLUDE (_seq),
       i.uscc IS NULL OR coalesce(i.uscc IN (SELECT uscc FROM stg_enterprises), false) AS enterprise_known,
       CAST(date_diff('day', i.signed, i.registered) AS DOUBLE) AS days_to_register,
       i._seq AS _idx
FROM int_department_investments i

-- name: enterprises
SELECT * EXCLUDE (_seq, _ref_seq), row_number() OVER (ORDER BY _ref_seq, _seq) - 1 AS _idx
FROM int_department_enterprises

-- name: indicators
SELECT * EXCLUDE (_seq, _department_seq), row_number() OVER (ORDER BY _seq, _department_seq) - 1 AS _idx
FROM int_department_indicators

-- name: indicator_yoy
-- The report year's indicator values against the year before, as a relative change.
SELECT n.* EXCLUDE (_seq, _department_seq), b.value AS previous, n.value AS provided, b.value AS expected,
       CAST(n.value / nullif(b.value, 0) - 1 AS DOUBLE) AS yoy_change, n.value - b.value AS difference,
       row_number() OVER (ORDER BY n._seq, n._department_seq, b._seq) - 1 AS _idx
FROM int_department_indicators n
JOIN int_department_indicators b
  ON b.department_code = n.department_code AND b.region_code = n.region_code
 AND b.indicator_code = n.indicator_code AND b.industry IS NOT DISTINCT FROM n.industry
 AND b.year = n.year - 1
WHERE n.year = (SELECT year FROM run_params)

-- name: indicator_units
-- The region's indicators that a metric of the report reads (ref_indicator_units: the metric registry's sums over
-- the statistics, each with the 行业 it reads, NULL for any, and the unit it reports in: RETAIL 全部行业 in 亿元), of the
-- years the report reads (its year and the one before, for growth), each with whether its 计量单位 is that unit, as
-- written any way (亿 元, 人民币亿元, 亿元（人民币）): a value written in another (RETAIL in 万元) would be summed as if
-- it were in the metric's.
WITH wanted AS (
    SELECT indicator_code, industry, list(DISTINCT regexp_replace(unit, '[\s()（）\[\]【】]|人民币', '', 'g')) AS units,
           string_agg(DISTINCT unit, '、') AS expected
    FROM ref_indicator_units GROUP BY indicator_code, industry
)
SELECT i.* EXCLUDE (_seq, _department_seq), i.unit AS provided, u.expected,
       CASE WHEN list_contains(u.units, regexp_replace(coalesce(i.unit, ''), '[\s()（）\[\]【】]|人民币', '', 'g'))
            THEN 0 ELSE 1 END AS unit_differs,
       row_number() OVER (ORDER BY i._seq, i._department_seq) - 1 AS _idx
FROM int_department_indicators i
JOIN wanted u ON u.indicator_code = i.indicator_code AND (u.industry IS NULL OR u.industry = i.industry)
WHERE i.year >= (SELECT year FROM run_params) - 1

-- name: figure_scale
-- Each department-year money figure of the registry (协议投资额, 协议达产年产值或营收 of the projects
-- signed in the year, 分) against the year before (previous) and the 决算总表's 合计 全年预算数 (budget).
-- jump = the larger of provided/previous and previous/provided (both above zero, else NULL);
-- budget_scale = provided/budget. A file read in the wrong unit shows as a jump of 10,000x. The line
-- named is the year's largest project, the first place to look.
WITH f(k, figure) AS (VALUES (1, '协议投资额'), (2, '协议达产年产值或营收')),
inv AS (
    SELECT i.department_code, year(i.signed) AS y, i._source, i._row, i._seq, f.k, f.figure,
           CASE f.k WHEN 1 THEN i.agreed_investment ELSE i.agreed_output END AS v
    FROM stg_investment_projects i CROSS JOIN f
    WHERE i.department_code IN (SELECT department_code FROM stg_departments)
),
now AS (
    SELECT department_code, k, figure, CAST(sum(v) AS BIGINT) AS provided,
           first(_source ORDER BY v DESC NULLS LAST, _seq) AS _source,
           first(_row ORDER BY v DESC NULLS LAST, _seq) AS _row
    FROM inv WHERE y = (SELECT year FROM run_params) GROUP BY department_code, k, figure
),
before AS (
    SELECT department_code, k, CAST(sum(v) AS BIGINT) AS previous
    FROM inv WHERE y = (SELECT year FROM run_params) - 1 GROUP BY department_code, k
),
budget AS (SELECT department_code, CAST(sum(budget) AS BIGINT) AS budget FROM int_summary_totals GROUP BY department_code)
SELECT now.department_code, now.figure, now.provided, coalesce(before.previous, 0) AS previous,
       coalesce(budget.budget, 0) AS budget,
       CASE WHEN now.provided > 0 AND before.previous > 0
            THEN greatest(now.provided / before.previous, before.previous / now.provided) END AS jump,
       CASE WHEN budget.budget > 0 THEN now.provided / budget.budget END AS budget_scale,
       now._source, now._row,
       row_number() OVER (ORDER BY now.k, now.department_code) - 1 AS _idx
FROM now
LEFT JOIN before ON before.department_code = now.department_code AND before.k = now.k
LEFT JOIN budget ON budget.department_code = now.department_code

-- name: targets
-- One row per 绩效目标 (三级指标) with whether its 指标值 is well formed: for ≥, ≤ and = a number
-- (commas and a trailing % allowed, and the row's 计量单位 after it: 20家), which may begin with the
-- sign of its own 指标性质 (≥95%; >=, > for ≥ and <=, < for ≤) but not another's; any words for 定性.
-- The same patterns as tasks/report/targets.py.
WITH parts AS (
    SELECT *, regexp_extract(trim(target), '^(≥|≤|≧|≦|>=|<=|>|<|=)', 1) AS sign,
           trim(regexp_replace(replace(trim(target), ',', ''), '^(≥|≤|≧|≦|>=|<=|>|<|=)', '')) AS bare
    FROM stg_targets
),
checked AS (
    SELECT *,
           coalesce(regexp_full_match(
               CASE WHEN coalesce(unit, '') NOT IN ('', '%') AND suffix(bare, unit)
                    THEN trim(left(bare, length(bare) - length(unit))) ELSE bare END,
               '[+-]?[0-9]+(\.[0-9]+)?%?'), false)
               -- a comma must group thousands (1,200): 92,5 is no number (targets.py GROUPED)
               AND (NOT contains(target, ',') OR regexp_matches(target, '[0-9]{1,3}(,[0-9]{3})+([^0-9,]|$)')
                    AND NOT regexp_matches(target, ',([0-9]{0,2}|[0-9]{4,})([^0-9]|$)')) AS number_ok,
           (sign = '' OR CASE sign WHEN '≥' THEN '≥' WHEN '≧' THEN '≥' WHEN '>=' THEN '≥' WHEN '>' THEN '≥'
                                   WHEN '≤' THEN '≤' WHEN '≦' THEN '≤' WHEN '<=' THEN '≤' WHEN '<' THEN '≤'
                                   ELSE '=' END = nature) AS sign_ok
    FROM parts
)
SELECT * EXCLUDE (_seq, sign, bare, number_ok, sign_ok),
       nature = '定性' OR (number_ok AND sign_ok) AS target_valid,
       -- what PRF-002 shows of a bad 指标值: as read (a comparison in words is read as its sign), and why
       CASE WHEN nature <> '定性' AND NOT sign_ok
                THEN target || '（读作 ' || sign || '，与指标性质 ' || nature || ' 相反）'
            WHEN nature <> '定性' AND NOT number_ok THEN target || '（不是数值）'
            ELSE target END AS target_as_read,
       -- a percentage target written as a fraction (0.95 or 1 for 95 % or 100 %, no % sign): read as written,
       -- 0.95 %, and warned of with both readings (PRF-007); tasks/report/targets.py fraction_reading says the same
       NOT coalesce(unit = '%' AND nature <> '定性' AND regexp_full_match(bare, '\+?[0-9]+(\.[0-9]+)?')
                    AND TRY_CAST(bare AS DECIMAL(18, 6)) > 0 AND TRY_CAST(bare AS DECIMAL(18, 6)) <= 1, false)
           AS target_plausible,
       CASE WHEN regexp_full_match(bare, '\+?[0-9]+(\.[0-9]+)?') THEN
           bare || '（按 ' || bare || '% 计；若指 ' || regexp_replace(regexp_replace(CAST(TRY_CAST(ltrim(bare, '+') AS DECIMAL(18, 6)) * 100 AS VARCHAR), '0+$', ''), '\.$', '') || '%，请填写 '
           || regexp_replace(regexp_replace(CAST(TRY_CAST(ltrim(bare, '+') AS DECIMAL(18, 6)) * 100 AS VARCHAR), '0+$', ''), '\.$', '') || '）' END AS target_readings,
       _seq AS _idx
FROM checked

-- name: target_actuals
-- Each target whose 实际完成值 the department reports (完成值来源 reported), with its 绩效自评 row:
-- actual_valid when that row exists and states a number (≥ ≤ =) or 达成 / 部分达成 / 未达成 (定性).
-- A missing actual names the target's row; a malformed one the 绩效自评's row.
SELECT t.department_code, t.indicator, t.nature, t.unit, a.actual,
       coalesce(a._source, t._source) AS _source, coalesce(a._row, t._row) AS _row,
       a._row IS NOT NULL AND a.actual IS NOT NULL AND CASE
           WHEN t.nature = '定性' THEN a.actual IN ('达成', '部分达成', '未达成')
           ELSE coalesce(regexp_full_match(
               CASE WHEN coalesce(t.unit, '') NOT IN ('', '%') AND suffix(trim(replace(a.actual, ',', '')), t.unit)
                    THEN trim(left(trim(replace(a.actual, ',', '')), length(trim(replace(a.actual, ',', '')))
                                                                     - length(t.unit)))
                    ELSE trim(replace(a.actual, ',', '')) END,
               '[+-]?[0-9]+(\.[0-9]+)?%?'), false)
               AND (NOT contains(a.actual, ',') OR regexp_matches(a.actual, '[0-9]{1,3}(,[0-9]{3})+([^0-9,]|$)')
                    AND NOT regexp_matches(a.actual, ',([0-9]{0,2}|[0-9]{4,})([^0-9]|$)')) END
           AS actual_valid,
       row_number() OVER (ORDER BY t._seq) - 1 AS _idx
FROM stg_targets t
LEFT JOIN stg_self_assessment a ON a.department_code = t.department_code AND a.indicator = t.indicator
WHERE t.actual_source = 'reported'
  -- a department that has not sent its 绩效自评 yet is not refused: its report is a 草稿 whose reported
  -- 实际完成值 are 待填写; one that sent it must state every reported target
  AND EXISTS (SELECT 1 FROM stg_self_assessment s WHERE s.department_code = t.department_code)

-- name: self_assessment
-- Each 绩效自评 row with whether its 三级指标 is one of the department's 绩效目标 (target_known);
-- whether an 实际完成值 it states is used (actual_used: not for a target the warehouse computes); and
-- whether a percentage it states looks like a fraction (actual_plausible: 0.95 for 95 %).
SELECT a.* EXCLUDE (_seq),
       EXISTS (SELECT 1 FROM stg_targets t WHERE t.department_code = a.department_code
               AND t.indicator = a.indicator) AS target_known,
       a.actual IS NULL OR NOT EXISTS (SELECT 1 FROM stg_targets t WHERE t.department_code = a.department_code
               AND t.indicator = a.indicator AND t.actual_source <> 'reported') AS actual_used,
       -- an 实际完成值 of 1 or less, with no % sign, against a percentage target above 1 %: perhaps a fraction
       -- (1 for 100 %). Scored as written and warned of with both readings (PRF-008); the same predicate as
       -- tasks/report/targets.py fraction_reading.
       NOT coalesce(EXISTS (SELECT 1 FROM int_percent_targets t WHERE t.department_code = a.department_code
               AND t.indicator = a.indicator AND t.target_value > 1)
               AND regexp_full_match(trim(a.actual), '\+?[0-9]+(\.[0-9]+)?')
               AND TRY_CAST(trim(a.actual) AS DECIMAL(18, 6)) > 0
               AND TRY_CAST(trim(a.actual) AS DECIMAL(18, 6)) <= 1, false) AS actual_plausible,
       CASE WHEN regexp_full_match(trim(a.actual), '\+?[0-9]+(\.[0-9]+)?') THEN
           trim(a.actual) || '（按 ' || trim(a.actual) || '% 计分；若指 '
           || regexp_replace(regexp_replace(CAST(TRY_CAST(ltrim(trim(a.actual), '+') AS DECIMAL(18, 6)) * 100 AS VARCHAR), '0+$', ''), '\.$', '') || '%，请填写 '
           || regexp_replace(regexp_replace(CAST(TRY_CAST(ltrim(trim(a.actual), '+') AS DECIMAL(18, 6)) * 100 AS VARCHAR), '0+$', ''), '\.$', '') || '）' END AS actual_readings,
       a._seq AS _idx
FROM stg_self_assessment a

-- name: project_targets
-- Each project's 绩效目标 (三级指标) with whether its project is one of the department's budget lines' 项目编码
-- (project_known). Whether its 指标值 is a number and its 分值 make the profile's total are checked at intake
-- (tasks/report/projects.py check_project_inputs), where the profile is known.
-- A percentage 指标值 written as a fraction (0.95 for 95 %, no % sign) is warned of with both readings (PRJ-007), as
-- the department's are (PRF-007, the view targets).
WITH parts AS (
    SELECT *, trim(regexp_replace(replace(trim(target), ',', ''), '^(≥|≤|≧|≦|>=|<=|>|<|=)', '')) AS bare
    FROM stg_project_targets
)
SELECT t.* EXCLUDE (_seq, bare),
       EXISTS (SELECT 1 FROM stg_budget_lines l WHERE l.department_code = t.department_code
               AND l.project_code = t.project_code) AS project_known,
       NOT coalesce(t.unit = '%' AND t.nature <> '定性' AND regexp_full_match(t.bare, '\+?[0-9]+(\.[0-9]+)?')
                    AND TRY_CAST(t.bare AS DECIMAL(18, 6)) > 0 AND TRY_CAST(t.bare AS DECIMAL(18, 6)) <= 1, false)
           AS target_plausible,
       CASE WHEN regexp_full_match(t.bare, '\+?[0-9]+(\.[0-9]+)?') THEN
           t.bare || '（按 ' || t.bare || '% 计；若指 ' || regexp_replace(regexp_replace(CAST(TRY_CAST(ltrim(t.bare, '+')
           AS DECIMAL(18, 6)) * 100 AS VARCHAR), '0+$', ''), '\.$', '') || '%，请填写 '
           || regexp_replace(regexp_replace(CAST(TRY_CAST(ltrim(t.bare, '+') AS DECIMAL(18, 6)) * 100 AS VARCHAR),
                             '0+$', ''), '\.$', '') || '）' END AS target_readings,
       t._seq AS _idx
FROM parts t

-- name: project_self_assessment
-- Each project 绩效自评 row with whether its project and 三级指标 are among the project's 绩效目标 (target_known).
-- An 实际完成值 of 1 or less with no % sign, against a percentage 指标值 above 1 %, is perhaps a fraction (0.93 for
-- 93 %): scored as written and warned of with both readings (PRJ-008), as the department's are (PRF-008).
SELECT a.* EXCLUDE (_seq),
       EXISTS (SELECT 1 FROM stg_project_targets t WHERE t.department_code = a.department_code
               AND t.project_code = a.project_code AND t.indicator = a.indicator) AS target_known,
       NOT coalesce(EXISTS (SELECT 1 FROM int_project_percent_targets t WHERE t.department_code = a.department_code
               AND t.project_code = a.project_code AND t.indicator = a.indicator AND t.target_value > 1)
               AND regexp_full_match(trim(a.actual), '\+?[0-9]+(\.[0-9]+)?')
               AND TRY_CAST(trim(a.actual) AS DECIMAL(18, 6)) > 0
               AND TRY_CAST(trim(a.actual) AS DECIMAL(18, 6)) <= 1, false) AS actual_plausible,
       CASE WHEN regexp_full_match(trim(a.actual), '\+?[0-9]+(\.[0-9]+)?') THEN
           trim(a.actual) || '（按 ' || trim(a.actual) || '% 计分；若指 '
           || regexp_replace(regexp_replace(CAST(TRY_CAST(ltrim(trim(a.actual), '+') AS DECIMAL(18, 6)) * 100
                                                 AS VARCHAR), '0+$', ''), '\.$', '') || '%，请填写 '
           || regexp_replace(regexp_replace(CAST(TRY_CAST(ltrim(trim(a.actual), '+') AS DECIMAL(18, 6)) * 100
                                                 AS VARCHAR), '0+$', ''), '\.$', '') || '）' END AS actual_readings,
       a._seq AS _idx
FROM stg_project_self_assessment a

-- name: project_actuals
-- Each 绩效目标 of a project whose 绩效自评 has come in (a row of it for the project), with whether the 绩效自评
-- states it (assessed). A project with no 绩效自评 row at all is not here: its form is a 草稿, named as missing.
-- Where the 绩效自评 has a row of the 三级指标 (its 实际完成值 left blank), that row is named, the file the department
-- mends; where it has none, the 绩效目标's row of it.
SELECT t.department_code, t.project_code, t.indicator, a.actual,
       coalesce(a._source, t._source) AS _source, coalesce(a._row, t._row) AS _row,
       coalesce(a.assessed, false) AS assessed,
       row_number() OVER (ORDER BY t._seq) - 1 AS _idx
FROM stg_project_targets t
LEFT JOIN (SELECT department_code, project_code, indicator, arg_min(actual, _seq) AS actual,
                  arg_min(_source, _seq) AS _source, arg_min(_row, _seq) AS _row,
                  bool_or(coalesce(trim(actual), '') <> '') AS assessed
           FROM stg_project_self_assessment GROUP BY department_code, project_code, indicator) a
  ON a.department_code = t.department_code AND a.project_code = t.project_code AND a.indicator = t.indicator
WHERE EXISTS (SELECT 1 FROM stg_project_self_assessment s WHERE s.department_code = t.department_code
              AND s.project_code = t.project_code)

-- name: project_coverage
-- Each 项目支出 project of a department that sent project 绩效目标, with whether the project has any (has_target).
SELECT l.department_code, l.project_code, arg_min(l.project_name, l._seq) AS project_name,
       min(l._source) AS _source, min(l._row) AS _row,
       EXISTS (SELECT 1 FROM stg_project_targets t WHERE t.department_code = l.department_code
               AND t.project_code = l.project_code) AS has_target,
       row_number() OVER (ORDER BY min(l._seq)) - 1 AS _idx
FROM stg_budget_lines l
WHERE l.expense_type = '项目支出'
  AND EXISTS (SELECT 1 FROM stg_project_targets t WHERE t.department_code = l.department_code)
GROUP BY l.department_code, l.project_code
