-- Intermediate models and marts: each measure the reports, the roll-up and the gate read, defined once, over
-- the warehouse's tables. Plain SQL that DuckDB and PostgreSQL read alike. The same text is a view in two
-- places: in the warehouse, over its tables (tasks/warehouse/models.py builds them after the migrations); and
-- in a run's database, over the staging models of tasks/sql/models.sql (views named as the warehouse's
-- tables), where the gate checks it before anything is promoted (tasks/quality/sql/checks.sql).
-- Each block, named by its "-- name:" line, is one view; a block reads only the tables and the blocks above it. A
-- block marked "-- materialized: table" is a table instead, computed once: in the warehouse (tasks/warehouse/models.py),
-- keyed by department-year and written by promotion; in a run's database, made from every staged row as the run
-- database is built (before the gate), and read from there by the checks and by promotion.

-- name: int_line_ledger_by_day
-- The payment ledger of each budget line, day by day: what was paid from the line on each 支付日期 (分), and in
-- how many payments. The one definition of a line's ledger; 支付进度 sums it up to a date (the metrics paid_to_q*,
-- the monitoring of tasks/warehouse/monitoring.py), and its months say how far a ledger reaches.
-- materialized: table
-- A row per line and day, however many payments: at most a line's working days (~300k rows for 60 departments'
-- 1,500 lines, against 5M-20M payments), so that the reports and the monitoring read it, not the payments.
SELECT department_code, year, line_id, pay_date, SUM(amount_fen) AS paid_fen, COUNT(*) AS payments
FROM fct_payment
GROUP BY department_code, year, line_id, pay_date

-- name: int_line_ledger
-- Each budget line's execution as its payment ledger's sum (分), and its number of payments: 全年执行数 is
-- what was paid, not what the line reports (rule REC-003 checks that the two agree).
-- materialized: table
-- In the warehouse, a table of this SELECT's rows: promotion writes the accepted keys' rows as it writes their
-- payments (from the run database's table of the same text), so that the reports read one row per line
-- instead of adding up the payments again.
SELECT department_code, year, line_id, SUM(paid_fen) AS executed_fen, SUM(payments) AS payments
FROM int_line_ledger_by_day
GROUP BY department_code, year, line_id

-- name: mart_line_execution
-- Each budget line with its ledger's execution: the metrics' budget, execution and carryover (by 资金来源 and
-- 支出性质), the report's splits and the 自评表's funds block read it.
SELECT l.department_code, l.year, l.line_id, l.project_code, l.fund_source_code, l.expense_type_code,
       l.budget_fen, l.reported_executed_fen, l.carryover_fen, l.initial_budget_fen, l.fund_nature,
       COALESCE(p.executed_fen, 0) AS executed_fen, COALESCE(p.payments, 0) AS payments
FROM fct_budget_line l
LEFT JOIN int_line_ledger p ON p.department_code = l.department_code AND p.year = l.year AND p.line_id = l.line_id

-- name: mart_project_funds
-- Each project's money by part, as the 自评表's funds block splits it (fund_part): 1 当年财政拨款 (fiscal lines of
-- this year's appropriation, and fiscal lines that state no 资金性质), 2 上年结转资金 (fiscal lines carried over),
-- 3 其他资金 (资金来源 其他资金). Lines, lines that state a 年初预算数 (initial_lines) and lines that state a 资金性质
-- (natures) are counted, so that a block can say what its lines do not give. The department's own funds block is
-- the sum over its projects.
SELECT department_code, year, project_code, fund_part, COUNT(*) AS lines, COUNT(initial_budget_fen) AS initial_lines,
       COALESCE(SUM(initial_budget_fen), 0) AS initial_budget_fen, SUM(budget_fen) AS budget_fen,
       SUM(executed_fen) AS executed_fen, COUNT(fund_nature) AS natures
FROM (
    SELECT department_code, year, project_code, initial_budget_fen, budget_fen, executed_fen, fund_nature,
           CASE WHEN fund_source_code = 'OTH' THEN 3 WHEN COALESCE(fund_nature, '') = '上年结转' THEN 2 ELSE 1 END
               AS fund_part
    FROM mart_line_execution
) parts
GROUP BY department_code, year, project_code, fund_part

-- name: mart_department_year
-- Each department-year's budget, ledger execution and carryover: what a district looks at across departments
-- and years (the roll-up, the report's trend).
SELECT e.department_code, d.department_name, d.region_code, d.synthetic, e.year,
       SUM(e.budget_fen) AS budget_fen, SUM(e.executed_fen) AS executed_fen,
       SUM(e.carryover_fen) AS carryover_fen, COUNT(*) AS lines, SUM(e.payments) AS payments
FROM mart_line_execution e
JOIN dim_department d ON d.department_code = e.department_code
GROUP BY e.department_code, d.department_name, d.region_code, d.synthetic, e.year
