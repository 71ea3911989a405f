-- Intermediate models: the measures only the gate reads, defined once, in SQL over the staged tables. The
-- measures the warehouse reads too (the ledger per budget line, …) are the model graph's: tasks/sql/marts.sql,
-- over the staging models of tasks/sql/models.sql (views named as the warehouse's tables).
--
-- Staged tables (tasks/quality/rundb.py): stg_<dataset> with the contract's columns, the lineage
-- columns _source (file) and _row (physical line) and _seq (position in the extract); stg_departments
-- (the run's departments); ref_summary_items (item, part_of: 'total', '资金来源' or '支出性质', from
-- tasks/domain.py); run_params (year). Money is integer 分.
--
-- Each block is one view, named by its "-- name:" line; a block marked "-- materialized: table" is a table,
-- made once as the run database is built (tasks/sqlfile.py).

-- name: int_repeated_vouchers
-- Each 支付凭证号 more than one payment of the run carries (in one department or across several), and by how
-- many: FIN-004's measure. Marked materialized, so a table made once as the run database is built (one hash
-- aggregate of the payments: ~2 s at 20M lines, where GX's own uniqueness check numbered every payment by a
-- window over its voucher, ~7.6 s); the payments' rule view joins it.
-- materialized: table
SELECT voucher_no, count(*) AS payments
FROM stg_payments
WHERE voucher_no IS NOT NULL
GROUP BY voucher_no
HAVING count(*) > 1

-- name: int_percent_targets
-- Each quantitative 绩效目标 in % (its 计量单位 %, or a 指标值 written with % and no 计量单位), with its
-- 指标值 as a number (the sign of its 指标性质 and the % read past): the targets against which an 实际完成值
-- may be a percentage written as a fraction. The same reading as tasks/report/targets.py.
SELECT department_code, indicator,
       TRY_CAST(rtrim(trim(regexp_replace(replace(trim(target), ',', ''), '^(≥|≤|≧|≦|>=|<=|>|<|=)', '')), '%')
                AS DECIMAL(18, 6)) AS target_value
FROM stg_targets
WHERE nature <> '定性' AND (unit = '%' OR (coalesce(trim(unit), '') = '' AND suffix(trim(target), '%')))

-- name: int_project_percent_targets
-- The same of each project's 绩效目标 (int_percent_targets): the targets in % against which a project's 实际完成值 may be
-- a percentage written as a fraction (PRJ-008).
SELECT department_code, project_code, indicator,
       TRY_CAST(rtrim(trim(regexp_replace(replace(trim(target), ',', ''), '^(≥|≤|≧|≦|>=|<=|>|<|=)', '')), '%')
                AS DECIMAL(18, 6)) AS target_value
FROM stg_project_targets
WHERE nature <> '定性' AND (unit = '%' OR (coalesce(trim(unit), '') = '' AND suffix(trim(target), '%')))

-- name: int_summary_totals
-- The 决算总表's 合计 row(s) of each department.
SELECT s.*
FROM stg_summary s
WHERE s.item IN (SELECT item FROM ref_summary_items WHERE part_of = 'total')

-- name: int_measures
-- The three measures of a budget line or a 决算总表 row, in the order reports and rules list them.
SELECT * FROM (VALUES ('budget', 1), ('executed', 2), ('carryover', 3)) AS m(measure, k)

-- name: int_summary_total_measures
-- Each department's 合计, one row per measure (total, 分), with the 合计 row's file and line.
SELECT t.department_code, m.measure, m.k,
       CASE m.measure WHEN 'budget' THEN t.budget WHEN 'executed' THEN t.executed ELSE t.carryover END AS total,
       t._source, t._row, t._seq
FROM int_summary_totals t CROSS JOIN int_measures m

-- name: int_summary_parts_by_measure
-- The 决算总表's parts added up per department, breakdown (part_of: 资金来源, 支出性质) and measure (分).
SELECT s.department_code, r.part_of, m.measure,
       CAST(sum(CASE m.measure WHEN 'budget' THEN s.budget WHEN 'executed' THEN s.executed
                               ELSE s.carryover END) AS BIGINT) AS part_sum
FROM stg_summary s JOIN ref_summary_items r ON r.item = s.item AND r.part_of <> 'total' CROSS JOIN int_measures m
GROUP BY s.department_code, r.part_of, m.measure

-- name: int_line_sums_by_measure
-- The budget lines added up per department and measure (分).
SELECT l.department_code, m.measure,
       CAST(sum(CASE m.measure WHEN 'budget' THEN l.budget WHEN 'executed' THEN l.executed
                               ELSE l.carryover END) AS BIGINT) AS part_sum
FROM stg_budget_lines l CROSS JOIN int_measures m
GROUP BY l.department_code, m.measure

-- name: int_line_sums_by_part
-- The budget lines added up per department, breakdown of the 决算总表 (part_of: 资金来源 by the lines'
-- fund_source, 支出性质 by their expense_type), item and measure (分).
WITH parts AS (
    SELECT department_code, '资金来源' AS part_of, fund_source AS item, budget, executed, carryover FROM stg_budget_lines
    UNION ALL
    SELECT department_code, '支出性质', expense_type, budget, executed, carryover FROM stg_budget_lines
)
SELECT p.department_code, p.part_of, p.item, m.measure,
       CAST(sum(CASE m.measure WHEN 'budget' THEN p.budget WHEN 'executed' THEN p.executed
                               ELSE p.carryover END) AS BIGINT) AS part_sum
FROM parts p CROSS JOIN int_measures m
GROUP BY p.department_code, p.part_of, p.item, m.measure

-- name: int_department_applications
-- Registry applications that belong to a department-year: the department's own, up to the year.
SELECT a.*
FROM stg_applications a
WHERE a.department_code IN (SELECT department_code FROM stg_departments)
  AND a.year <= (SELECT year FROM run_params)

-- name: int_department_investments
-- Investment projects that belong to a department-year: the department's own, signed up to the year.
SELECT i.*
FROM stg_investment_projects i
WHERE i.department_code IN (SELECT department_code FROM stg_departments)
  AND year(i.signed) <= (SELECT year FROM run_params)

-- name: int_department_enterprises
-- Registry enterprises each department's applications and investment projects refer to.
-- _ref_seq orders them as the references first appear (applications, then projects).
WITH refs AS (
    SELECT department_code, uscc, min(seq) AS _ref_seq
    FROM (
        SELECT department_code, uscc, _seq AS seq FROM int_department_applications
        UNION ALL
        SELECT department_code, uscc, (SELECT count(*) FROM stg_applications) + _seq
        FROM int_department_investments WHERE uscc IS NOT NULL
    ) AS r
    GROUP BY department_code, uscc
)
SELECT refs.department_code, e.*, refs._ref_seq
FROM refs JOIN stg_enterprises e ON e.uscc = refs.uscc

-- name: int_department_indicators
-- Statistics of each department's region, for the years up to the report's year.
SELECT i.*, d.department_code, d._seq AS _department_seq
FROM stg_indicators i JOIN stg_departments d ON d.region_code = i.region_code
WHERE i.year <= (SELECT year FROM run_params)
