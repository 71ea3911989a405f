-- The floor: what the nightly flow does, as one DuckDB script with no orchestration and no Great
-- Expectations. It reads the same landing zone, computes the report's aggregates per department and
-- counts the same rules' failures. {root} and {year} are filled in by bench/bench_city.py.
CREATE OR REPLACE TEMP TABLE lines AS
SELECT "部门编码" AS dept, "指标编号" AS line_id, "资金来源" AS fund, "支出性质" AS kind,
       CAST("全年预算数" AS DECIMAL(18,2)) AS budget, CAST("全年执行数" AS DECIMAL(18,2)) AS executed,
       CAST("年末结转和结余" AS DECIMAL(18,2)) AS carryover
FROM read_csv('{root}/finance/{year}/*/budget_lines.csv', header = true, all_varchar = true);

CREATE OR REPLACE TEMP TABLE pay AS
SELECT "支付凭证号" AS voucher, "部门编码" AS dept, "指标编号" AS line_id, CAST("支付日期" AS DATE) AS pay_date,
       CAST("支付金额" AS DECIMAL(18,2)) AS amount
FROM read_csv('{root}/finance/{year}/*/payments.csv', header = true, all_varchar = true);

CREATE OR REPLACE TEMP TABLE summ AS
SELECT "部门编码" AS dept, "项目" AS item, CAST("全年预算数" AS DECIMAL(18,2)) AS budget,
       CAST("全年执行数" AS DECIMAL(18,2)) AS executed, CAST("年末结转和结余" AS DECIMAL(18,2)) AS carryover
FROM read_csv('{root}/finance/{year}/*/summary.csv', header = true, all_varchar = true);

CREATE OR REPLACE TEMP TABLE ent AS
SELECT "统一社会信用代码" AS uscc FROM read_csv('{root}/registry/enterprises.csv', header = true, all_varchar = true);
CREATE OR REPLACE TEMP TABLE apps AS
SELECT "申报编号" AS id, "统一社会信用代码" AS uscc, "申报类型" AS program, CAST("申报年度" AS INTEGER) AS year,
       "受理部门编码" AS dept
FROM read_csv('{root}/registry/applications.csv', header = true, all_varchar = true);
CREATE OR REPLACE TEMP TABLE inv AS
SELECT "项目编号" AS id, "招商部门编码" AS dept, NULLIF("项目公司统一社会信用代码", '') AS uscc,
       CAST("签约日期" AS DATE) AS signed, CAST(NULLIF("注册日期", '') AS DATE) AS registered,
       CAST("协议投资额" AS DECIMAL(18,2)) AS investment, CAST("协议达产年产值或营收" AS DECIMAL(18,2)) AS output
FROM read_csv('{root}/registry/investment_projects.csv', header = true, all_varchar = true);
CREATE OR REPLACE TEMP TABLE ind AS
SELECT "行政区划代码" AS region, CAST("年份" AS INTEGER) AS year, "指标代码" AS code, "行业" AS industry,
       CAST("数值" AS DOUBLE) AS value
FROM read_csv('{root}/statistics/indicators.csv', header = true, all_varchar = true);

-- GB 32100-2015 check digit, as the registry rules apply it.
CREATE OR REPLACE MACRO uscc_ok(c) AS length(c) = 18 AND substr(c, 18, 1) = substr('0123456789ABCDEFGHJKLMNPQRTUWXY',
  CAST((31 - list_sum(list_transform(range(17), lambda i: (instr('0123456789ABCDEFGHJKLMNPQRTUWXY', substr(c, i + 1, 1)) - 1)
     * [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28][i + 1])) % 31) % 31 + 1 AS BIGINT), 1);

CREATE OR REPLACE TEMP TABLE ledger AS SELECT dept, line_id, sum(amount) AS paid FROM pay GROUP BY ALL;

-- The report's aggregates per department.
CREATE OR REPLACE TEMP TABLE figures AS
SELECT l.dept, sum(l.budget) AS budget, sum(coalesce(g.paid, 0)) AS executed, sum(l.carryover) AS carryover,
       sum(CASE WHEN l.kind = '基本支出' THEN coalesce(g.paid, 0) END) AS basic,
       sum(CASE WHEN l.kind = '项目支出' THEN coalesce(g.paid, 0) END) AS project,
       sum(CASE WHEN l.fund = '一般公共预算财政拨款' THEN coalesce(g.paid, 0) END) AS general_budget
FROM lines l LEFT JOIN ledger g USING (dept, line_id) GROUP BY l.dept;
CREATE OR REPLACE TEMP TABLE quarters AS
SELECT dept, sum(amount) FILTER (pay_date <= make_date({year}, 3, 31)) AS q1,
       sum(amount) FILTER (pay_date <= make_date({year}, 6, 30)) AS q2,
       sum(amount) FILTER (pay_date <= make_date({year}, 9, 30)) AS q3 FROM pay GROUP BY dept;
CREATE OR REPLACE TEMP TABLE task_counts AS
SELECT dept, count(DISTINCT uscc) FILTER (program = '省级专精特新中小企业' AND year = {year}) AS srdi,
       count(DISTINCT uscc) FILTER (program = '高新技术企业认定' AND year = {year}) AS hitech
FROM apps GROUP BY dept;
CREATE OR REPLACE TEMP TABLE first_hitech AS
SELECT dept, count(*) AS first_time FROM (SELECT dept, uscc, min(year) AS first FROM apps
    WHERE program = '高新技术企业认定' GROUP BY ALL) WHERE first = {year} GROUP BY dept;
CREATE OR REPLACE TEMP TABLE investments AS
SELECT dept, count(*) AS signed, sum(investment) AS investment, count(registered) AS registered
FROM inv WHERE year(signed) = {year} GROUP BY dept;
CREATE OR REPLACE TEMP TABLE growth AS
SELECT a.region, a.code, a.industry, a.value / nullif(b.value, 0) - 1 AS growth
FROM ind a JOIN ind b ON a.region = b.region AND a.code = b.code AND a.industry = b.industry
    AND b.year = a.year - 1 WHERE a.year = {year};
CREATE OR REPLACE TEMP TABLE inv_in_year AS SELECT * FROM inv WHERE year(signed) <= {year};
CREATE OR REPLACE TEMP TABLE referenced AS
SELECT DISTINCT uscc FROM apps WHERE year <= {year} UNION SELECT uscc FROM inv_in_year WHERE uscc IS NOT NULL;

-- The rules, as counts of failing rows per department ('*' for shared sources). Uniqueness rules
-- span the run, as the gate checks them.
CREATE OR REPLACE TEMP TABLE hits AS
SELECT dept, 'FIN-001' AS rule, count(*) AS n FROM lines WHERE executed > budget GROUP BY ALL
UNION ALL SELECT dept, 'FIN-002', count(*) FROM lines WHERE carryover > greatest(budget - executed, 0) GROUP BY ALL
UNION ALL SELECT dept, 'FIN-003', count(*) FROM lines WHERE line_id IN
    (SELECT line_id FROM lines GROUP BY ALL HAVING count(*) > 1) GROUP BY ALL
UNION ALL SELECT dept, 'FIN-004', count(*) FROM pay WHERE voucher IN
    (SELECT voucher FROM pay GROUP BY ALL HAVING count(*) > 1) GROUP BY ALL
UNION ALL SELECT dept, 'FIN-005', count(*) FROM pay WHERE year(pay_date) <> {year} GROUP BY ALL
UNION ALL SELECT dept, 'FIN-006', count(*) FROM pay WHERE amount <= 0 GROUP BY ALL
UNION ALL SELECT dept, 'FIN-007', 1 FROM summ GROUP BY dept HAVING count(*) FILTER (item = '合计') = 0
UNION ALL SELECT dept, 'FIN-008', count(*) FROM (SELECT dept, item FROM summ GROUP BY ALL HAVING count(*) > 1)
    GROUP BY ALL
UNION ALL SELECT '*', 'STA-001', count(*) FROM (SELECT region, year, code, industry FROM ind GROUP BY ALL
    HAVING count(*) > 1)
UNION ALL SELECT dept, 'REC-001', 1 FROM summ GROUP BY dept HAVING
    sum(budget) FILTER (item IN ('一般公共预算财政拨款', '政府性基金预算财政拨款', '国有资本经营预算财政拨款', '其他资金'))
    <> sum(budget) FILTER (item = '合计')
    OR sum(executed) FILTER (item IN ('一般公共预算财政拨款', '政府性基金预算财政拨款', '国有资本经营预算财政拨款', '其他资金'))
    <> sum(executed) FILTER (item = '合计')
    OR sum(carryover) FILTER (item IN ('一般公共预算财政拨款', '政府性基金预算财政拨款', '国有资本经营预算财政拨款', '其他资金'))
    <> sum(carryover) FILTER (item = '合计')
UNION ALL SELECT dept, 'REC-002', 1 FROM summ GROUP BY dept HAVING
    sum(budget) FILTER (item IN ('基本支出', '项目支出')) <> sum(budget) FILTER (item = '合计')
    OR sum(executed) FILTER (item IN ('基本支出', '项目支出')) <> sum(executed) FILTER (item = '合计')
    OR sum(carryover) FILTER (item IN ('基本支出', '项目支出')) <> sum(carryover) FILTER (item = '合计')
UNION ALL SELECT l.dept, 'REC-003', count(*) FROM lines l LEFT JOIN ledger g USING (dept, line_id)
    WHERE abs(coalesce(g.paid, 0) - l.executed) > 100 GROUP BY ALL
UNION ALL SELECT l.dept, 'REC-004', 1 FROM (SELECT dept, sum(budget) b, sum(executed) e, sum(carryover) c
    FROM lines GROUP BY dept) l JOIN summ s ON s.dept = l.dept AND s.item = '合计'
    WHERE l.b <> s.budget OR l.e <> s.executed OR l.c <> s.carryover
UNION ALL SELECT p.dept, 'REC-005', count(*) FROM pay p ANTI JOIN lines l USING (dept, line_id) GROUP BY ALL
UNION ALL SELECT a.dept, 'REC-006', count(*) FROM apps a ANTI JOIN ent e USING (uscc) WHERE a.year <= {year} GROUP BY ALL
UNION ALL SELECT i.dept, 'REC-007', count(*) FROM inv_in_year i ANTI JOIN ent e USING (uscc)
    WHERE i.uscc IS NOT NULL GROUP BY ALL
UNION ALL SELECT '*', 'REG-001', count(*) FROM referenced r JOIN ent e USING (uscc) WHERE NOT uscc_ok(e.uscc)
UNION ALL SELECT '*', 'REG-002', count(*) FROM ent WHERE uscc IN (SELECT uscc FROM referenced)
    AND uscc IN (SELECT uscc FROM ent GROUP BY ALL HAVING count(*) > 1)
UNION ALL SELECT dept, 'REG-003', count(*) FROM apps WHERE NOT uscc_ok(uscc) AND year <= {year} GROUP BY ALL
UNION ALL SELECT dept, 'REG-004', count(*) FROM apps WHERE id IN (SELECT id FROM apps GROUP BY ALL HAVING count(*) > 1)
    GROUP BY ALL
UNION ALL SELECT dept, 'REG-005', count(*) FROM inv_in_year WHERE id IN
    (SELECT id FROM inv_in_year GROUP BY ALL HAVING count(*) > 1) GROUP BY ALL
UNION ALL SELECT dept, 'REG-006', count(*) FROM inv_in_year WHERE registered < signed GROUP BY ALL
UNION ALL SELECT '*', 'STA-002', count(*) FROM ind WHERE value < 0
UNION ALL SELECT '*', 'STA-003', count(*) FROM growth WHERE abs(growth) > 1.0;

SELECT (SELECT count(*) FROM figures) AS departments, (SELECT count(*) FROM pay) AS payments,
       (SELECT coalesce(sum(n), 0) FROM hits WHERE rule NOT IN ('STA-002', 'STA-003', 'REG-006')) AS fatal_rows;
