-- Staging models: each warehouse table as the run database gives it, from the checked staged tables, in the
-- warehouse's own columns, with lineage. The first layer of the model graph:
--   stg_<dataset> (tasks/quality/rundb.py) → these models (views named as the warehouse's tables, in the run
--   database) → marts.sql (int_*, mart_*: the measures, defined once, the same SQL in the run database and in
--   the warehouse) → the gate's rule views (tasks/quality/sql/checks.sql) and the reports.
-- Promotion (tasks/warehouse/promote.py) moves these rows into the warehouse as a set, the accepted
-- department-years selected by key; the shared sources (the registry and the statistics, loaded once per
-- content) whole, the first row of each key in file order.
--
-- Read in the run database (DuckDB), next to the staged tables and: run_params (year), run_promote (run_id,
-- loaded_at), run_files (uri, sha256: the content hash of each file read), run_payment_files (department_code,
-- uri, sha256, source_file: the number of each file of a department's payments, payments: how many it gave),
-- ref_fund_sources and ref_expense_types (code, name, from tasks/domain.py).

-- name: dim_department
SELECT d.department_code, d.department_name, d.region_code, d.region_name, coalesce(d.synthetic, false) AS synthetic,
       p.run_id, CAST(d._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
       CAST(d._row AS INTEGER) AS source_row, p.loaded_at
FROM stg_departments d CROSS JOIN run_promote p LEFT JOIN run_files f ON f.uri = CAST(d._source AS VARCHAR)

-- name: dim_period
SELECT year, make_date(year, 1, 1) AS start_date, make_date(year, 12, 31) AS end_date,
       CAST(year AS VARCHAR) || '年度' AS label
FROM run_params

-- name: dim_project
-- A department-year's projects: each project code once, named as its first budget line names it.
SELECT department_code, year, project_code, project_name, expense_type_code,
       run_id, source_uri, source_sha256, source_row, loaded_at
FROM (
    SELECT l.department_code, r.year, l.project_code, l.project_name, e.code AS expense_type_code,
           p.run_id, CAST(l._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
           CAST(l._row AS INTEGER) AS source_row, p.loaded_at,
           row_number() OVER (PARTITION BY l.department_code, l.project_code ORDER BY l._seq) AS nth
    FROM stg_budget_lines l CROSS JOIN run_params r CROSS JOIN run_promote p
    JOIN ref_expense_types e ON e.name = l.expense_type
    LEFT JOIN run_files f ON f.uri = CAST(l._source AS VARCHAR)
)
WHERE nth = 1

-- name: fct_budget_line
SELECT l.department_code, r.year, l.line_id, l.project_code, s.code AS fund_source_code,
       e.code AS expense_type_code, l.budget AS budget_fen, l.executed AS reported_executed_fen,
       l.carryover AS carryover_fen, l.initial_budget AS initial_budget_fen, l.fund_nature,
       p.run_id, CAST(l._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
       CAST(l._row AS INTEGER) AS source_row, p.loaded_at
FROM stg_budget_lines l CROSS JOIN run_params r CROSS JOIN run_promote p
JOIN ref_fund_sources s ON s.name = l.fund_source
JOIN ref_expense_types e ON e.name = l.expense_type
LEFT JOIN run_files f ON f.uri = CAST(l._source AS VARCHAR)

-- name: fct_reported_total
SELECT t.department_code, r.year, t.item, t.budget AS budget_fen, t.executed AS executed_fen,
       t.carryover AS carryover_fen,
       p.run_id, CAST(t._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
       CAST(t._row AS INTEGER) AS source_row, p.loaded_at
FROM stg_summary t CROSS JOIN run_params r CROSS JOIN run_promote p
LEFT JOIN run_files f ON f.uri = CAST(t._source AS VARCHAR)

-- name: fct_payment
-- Lineage per file: each payment names its file by its number in the department-year (source_file) and its
-- row there; the file's path, hash and run are fct_payment_source's. The number is null until promotion
-- gives the run its files (promote.prepare: run_payment_files); the gate reads no lineage.
SELECT y.department_code, r.year, y.voucher_no, y.line_id, CAST(y.pay_date AS DATE) AS pay_date, y.payee,
       y.economic_class, y.amount AS amount_fen, f.source_file, CAST(y._row AS INTEGER) AS source_row
FROM stg_payments y CROSS JOIN run_params r
LEFT JOIN run_payment_files f ON f.department_code = y.department_code AND f.uri = CAST(y._source AS VARCHAR)

-- name: fct_payment_source
-- The files a department-year's payments came from, a row each: its number (what a payment's source_file
-- names), path, content hash and payments, with the run that loaded them. The provenance of every figure
-- read from the ledger (queries.sources_of).
-- Promotion counts them as it numbers them (promote.prepare: run_payment_files, one GROUP BY of the payments).
SELECT f.department_code, r.year, f.source_file, f.uri AS source_uri, f.sha256 AS source_sha256, f.payments,
       p.run_id, p.loaded_at
FROM run_payment_files f CROSS JOIN run_params r CROSS JOIN run_promote p

-- name: fct_performance_target
-- 绩效目标 in their file's order (position 1, 2, …: the 自评表's row order).
SELECT t.department_code, r.year, t.indicator,
       CAST(row_number() OVER (PARTITION BY t.department_code ORDER BY t._row, t._seq) AS INTEGER) AS position,
       t.level1, t.level2, t.nature, t.target, t.unit, t.weight, t.actual_source,
       p.run_id, CAST(t._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
       CAST(t._row AS INTEGER) AS source_row, p.loaded_at
FROM stg_targets t CROSS JOIN run_params r CROSS JOIN run_promote p
LEFT JOIN run_files f ON f.uri = CAST(t._source AS VARCHAR)

-- name: fct_performance_actual
SELECT a.department_code, r.year, a.indicator, a.actual, a.deviation, a.evidence,
       p.run_id, CAST(a._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
       CAST(a._row AS INTEGER) AS source_row, p.loaded_at
FROM stg_self_assessment a CROSS JOIN run_params r CROSS JOIN run_promote p
LEFT JOIN run_files f ON f.uri = CAST(a._source AS VARCHAR)

-- name: fct_project_target
-- Each project's 绩效目标 in their file's order (position 1, 2, … within the project: its form's row order).
SELECT t.department_code, r.year, t.project_code, t.indicator,
       CAST(row_number() OVER (PARTITION BY t.department_code, t.project_code ORDER BY t._row, t._seq) AS INTEGER)
           AS position,
       t.level1, t.level2, t.nature, t.target, t.unit,
       -- within 0-100 (tasks/report/projects.py check_project_inputs refuses others before promotion)
       TRY_CAST(t.weight AS DECIMAL(6, 2)) AS weight,
       p.run_id, CAST(t._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
       CAST(t._row AS INTEGER) AS source_row, p.loaded_at
FROM stg_project_targets t CROSS JOIN run_params r CROSS JOIN run_promote p
LEFT JOIN run_files f ON f.uri = CAST(t._source AS VARCHAR)

-- name: fct_project_actual
SELECT a.department_code, r.year, a.project_code, a.indicator, a.actual,
       TRY_CAST(a.score AS DECIMAL(6, 2)) AS score,
       a.deviation, a.evidence,
       p.run_id, CAST(a._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
       CAST(a._row AS INTEGER) AS source_row, p.loaded_at
FROM stg_project_self_assessment a CROSS JOIN run_params r CROSS JOIN run_promote p
LEFT JOIN run_files f ON f.uri = CAST(a._source AS VARCHAR)

-- name: fct_project_summary
SELECT s.department_code, r.year, s.project_code, s.implementer, s.manager, s.goal, s.achieved, s.execution_reason,
       s.conclusion, s.problems, s.measures,
       p.run_id, CAST(s._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
       CAST(s._row AS INTEGER) AS source_row, p.loaded_at
FROM stg_project_summaries s CROSS JOIN run_params r CROSS JOIN run_promote p
LEFT JOIN run_files f ON f.uri = CAST(s._source AS VARCHAR)

-- name: fct_monitoring_report
-- The 双监控 submission; the department's own rows have project_code "" (a key column is never empty in the
-- warehouse). A second row of the same key is not promoted (the first row in file order stands; extraction warns
-- of each repeat, naming its row: tasks/sources/extract.py).
SELECT department_code, year, project_code, indicator, to_date, forecast, likelihood, reason_category, reason,
       measures, forecast_spend_fen, period_end, run_id, source_uri, source_sha256, source_row, loaded_at
FROM (
    SELECT m.department_code, r.year, coalesce(m.project_code, '') AS project_code, m.indicator, m.to_date,
           m.forecast, m.likelihood, m.reason_category, m.reason, m.measures, m.forecast_spend AS forecast_spend_fen,
           CAST(m.period_end AS DATE) AS period_end,
           p.run_id, CAST(m._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
           CAST(m._row AS INTEGER) AS source_row, p.loaded_at,
           row_number() OVER (PARTITION BY m.department_code, coalesce(m.project_code, ''), m.indicator
                              ORDER BY m._seq) AS nth
    FROM stg_monitoring m CROSS JOIN run_params r CROSS JOIN run_promote p
    LEFT JOIN run_files f ON f.uri = CAST(m._source AS VARCHAR)
)
WHERE nth = 1

-- name: fct_rectification
-- The bureau's 整改要求 and the departments' 整改结果; the department's own rows have project_code "", the spending's
-- indicator "". A second row of the same key (the same item, the same 下达日期) is not promoted: the first stands,
-- and extraction warns of the repeat.
SELECT department_code, year, project_code, indicator, requested_on, requirement, deadline, outcome, done_on,
       run_id, source_uri, source_sha256, source_row, loaded_at
FROM (
    SELECT c.department_code, r.year, coalesce(c.project_code, '') AS project_code,
           coalesce(c.indicator, '') AS indicator, CAST(c.requested_on AS DATE) AS requested_on, c.requirement,
           CAST(c.deadline AS DATE) AS deadline, c.outcome, CAST(c.done_on AS DATE) AS done_on,
           p.run_id, CAST(c._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
           CAST(c._row AS INTEGER) AS source_row, p.loaded_at,
           row_number() OVER (PARTITION BY c.department_code, coalesce(c.project_code, ''),
                              coalesce(c.indicator, ''), CAST(c.requested_on AS DATE) ORDER BY c._seq) AS nth
    FROM stg_rectification c CROSS JOIN run_params r CROSS JOIN run_promote p
    LEFT JOIN run_files f ON f.uri = CAST(c._source AS VARCHAR)
)
WHERE nth = 1

-- name: fct_application
-- The registry's applications, each id once; first_application: the enterprise's first in its programme,
-- over the whole registry.
SELECT application_id, department_code, year, uscc, program, CAST(submitted AS DATE) AS submitted, result,
       first_application, run_id, source_uri, source_sha256, source_row, loaded_at
FROM (
    SELECT a.application_id, a.department_code, CAST(a.year AS INTEGER) AS year, a.uscc, a.program, a.submitted,
           a.result, a.year = min(a.year) OVER (PARTITION BY a.uscc, a.program) AS first_application,
           p.run_id, CAST(a._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
           CAST(a._row AS INTEGER) AS source_row, p.loaded_at,
           row_number() OVER (PARTITION BY a.application_id ORDER BY a._seq) AS nth
    FROM stg_applications a CROSS JOIN run_promote p LEFT JOIN run_files f ON f.uri = CAST(a._source AS VARCHAR)
)
WHERE nth = 1

-- name: fct_investment_project
SELECT project_id, department_code, project_name, uscc, signed_date, registered_date, agreed_investment_fen,
       agreed_output_fen, run_id, source_uri, source_sha256, source_row, loaded_at
FROM (
    SELECT i.project_id, i.department_code, i.project_name, i.uscc, CAST(i.signed AS DATE) AS signed_date,
           CAST(i.registered AS DATE) AS registered_date, i.agreed_investment AS agreed_investment_fen,
           i.agreed_output AS agreed_output_fen,
           p.run_id, CAST(i._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
           CAST(i._row AS INTEGER) AS source_row, p.loaded_at,
           row_number() OVER (PARTITION BY i.project_id ORDER BY i._seq) AS nth
    FROM stg_investment_projects i CROSS JOIN run_promote p
    LEFT JOIN run_files f ON f.uri = CAST(i._source AS VARCHAR)
)
WHERE nth = 1

-- name: dim_enterprise
-- The enterprises the registry's applications and investment projects name, each once.
SELECT uscc, enterprise_name, region_code, industry, established, status,
       run_id, source_uri, source_sha256, source_row, loaded_at
FROM (
    SELECT e.uscc, e.name AS enterprise_name, e.region_code, e.industry, CAST(e.established AS DATE) AS established,
           e.status, p.run_id, CAST(e._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
           CAST(e._row AS INTEGER) AS source_row, p.loaded_at,
           row_number() OVER (PARTITION BY e.uscc ORDER BY e._seq) AS nth
    FROM stg_enterprises e CROSS JOIN run_promote p LEFT JOIN run_files f ON f.uri = CAST(e._source AS VARCHAR)
    WHERE e.uscc IN (SELECT uscc FROM stg_applications UNION SELECT uscc FROM stg_investment_projects)
)
WHERE nth = 1

-- name: fct_indicator_value
SELECT region_code, year, indicator_code, industry, region_name, value, unit,
       run_id, source_uri, source_sha256, source_row, loaded_at
FROM (
    SELECT i.region_code, CAST(i.year AS INTEGER) AS year, i.indicator_code, i.industry, i.region_name,
           CAST(i.value AS DECIMAL(20, 6)) AS value, i.unit,
           p.run_id, CAST(i._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
           CAST(i._row AS INTEGER) AS source_row, p.loaded_at,
           row_number() OVER (PARTITION BY i.region_code, i.year, i.indicator_code, i.industry ORDER BY i._seq) AS nth
    FROM stg_indicators i CROSS JOIN run_promote p LEFT JOIN run_files f ON f.uri = CAST(i._source AS VARCHAR)
)
WHERE nth = 1

-- name: dim_indicator
SELECT indicator_code, indicator_name, unit, run_id, source_uri, source_sha256, source_row, loaded_at
FROM (
    SELECT i.indicator_code, i.indicator_name, i.unit,
           p.run_id, CAST(i._source AS VARCHAR) AS source_uri, coalesce(f.sha256, '') AS source_sha256,
           CAST(i._row AS INTEGER) AS source_row, p.loaded_at,
           row_number() OVER (PARTITION BY i.indicator_code ORDER BY i._seq) AS nth
    FROM stg_indicators i CROSS JOIN run_promote p LEFT JOIN run_files f ON f.uri = CAST(i._source AS VARCHAR)
)
WHERE nth = 1
