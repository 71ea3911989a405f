"""Initial schema: the star (dimensions, facts with lineage) and the operational tables.

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 11:58:59.283173
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dim_department',
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('department_name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('region_name', sa.String(length=100), nullable=False),
    sa.Column('synthetic', sa.Boolean(), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('source_uri', sa.String(length=1024), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('department_code')
    )
    op.create_table('dim_enterprise',
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('enterprise_name', sa.String(length=200), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('industry', sa.String(length=100), nullable=False),
    sa.Column('established', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('source_uri', sa.String(length=1024), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('uscc')
    )
    op.create_table('dim_expense_type',
    sa.Column('expense_type_code', sa.String(length=8), nullable=False),
    sa.Column('expense_type_name', sa.String(length=50), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('expense_type_code'),
    sa.UniqueConstraint('expense_type_name')
    )
    op.create_table('dim_fund_source',
    sa.Column('fund_source_code', sa.String(length=8), nullable=False),
    sa.Column('fund_source_name', sa.String(length=50), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('fund_source_code'),
    sa.UniqueConstraint('fund_source_name')
    )
    op.create_table('dim_indicator',
    sa.Column('indicator_code', sa.String(length=32), nullable=False),
    sa.Column('indicator_name', sa.String(length=100), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('source_uri', sa.String(length=1024), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('indicator_code')
    )
    op.create_table('dim_period',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=False),
    sa.Column('label', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('year')
    )
    op.create_table('dim_project',
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('project_code', sa.String(length=64), nullable=False),
    sa.Column('project_name', sa.String(length=200), nullable=False),
    sa.Column('expense_type_code', sa.String(length=8), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('source_uri', sa.String(length=1024), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('department_code', 'year', 'project_code')
    )
    op.create_table('fct_application',
    sa.Column('application_id', sa.String(length=64), nullable=False),
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('program', sa.String(length=50), nullable=False),
    sa.Column('submitted', sa.Date(), nullable=False),
    sa.Column('result', sa.String(length=10), nullable=False),
    sa.Column('first_application', sa.Boolean(), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('source_uri', sa.String(length=1024), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('application_id')
    )
    op.create_index(op.f('ix_fct_application_department_code'), 'fct_application', ['department_code'], unique=False)
    op.create_table('fct_budget_line',
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.String(length=64), nullable=False),
    sa.Column('project_code', sa.String(length=64), nullable=False),
    sa.Column('fund_source_code', sa.String(length=8), nullable=False),
    sa.Column('expense_type_code', sa.String(length=8), nullable=False),
    sa.Column('budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('reported_executed_fen', sa.BigInteger(), nullable=False),
    sa.Column('carryover_fen', sa.BigInteger(), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('source_uri', sa.String(length=1024), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('department_code', 'year', 'line_id')
    )
    op.create_table('fct_indicator_value',
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('indicator_code', sa.String(length=32), nullable=False),
    sa.Column('industry', sa.String(length=100), nullable=False),
    sa.Column('region_name', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Numeric(precision=20, scale=6), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('source_uri', sa.String(length=1024), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('region_code', 'year', 'indicator_code', 'industry')
    )
    op.create_table('fct_investment_project',
    sa.Column('project_id', sa.String(length=64), nullable=False),
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('project_name', sa.String(length=200), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=True),
    sa.Column('signed_date', sa.Date(), nullable=False),
    sa.Column('registered_date', sa.Date(), nullable=True),
    sa.Column('agreed_investment_fen', sa.BigInteger(), nullable=False),
    sa.Column('agreed_output_fen', sa.BigInteger(), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('source_uri', sa.String(length=1024), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('project_id')
    )
    op.create_index(op.f('ix_fct_investment_project_department_code'), 'fct_investment_project', ['department_code'], unique=False)
    op.create_table('fct_payment',
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('voucher_no', sa.String(length=64), nullable=False),
    sa.Column('line_id', sa.String(length=64), nullable=False),
    sa.Column('pay_date', sa.Date(), nullable=False),
    sa.Column('payee', sa.String(length=200), nullable=False),
    sa.Column('economic_class', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('source_uri', sa.String(length=1024), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('department_code', 'year', 'voucher_no')
    )
    op.create_table('fct_reported_total',
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=50), nullable=False),
    sa.Column('budget_fen', sa.BigInteger(), nullable=False),
    sa.Column('executed_fen', sa.BigInteger(), nullable=False),
    sa.Column('carryover_fen', sa.BigInteger(), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('source_uri', sa.String(length=1024), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('department_code', 'year', 'item')
    )
    op.create_table('ops_dq_result',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.String(length=32), nullable=False),
    sa.Column('suite', sa.String(length=50), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('success', sa.Boolean(), nullable=False),
    sa.Column('failing_rows', sa.Integer(), nullable=False),
    sa.Column('example', sa.Text(), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('run_id', 'department_code', 'year', 'rule_id')
    )
    op.create_table('ops_partition',
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('inputs_sha256', sa.String(length=64), nullable=False),
    sa.Column('code_version', sa.String(length=64), nullable=False),
    sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('row_counts', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('department_code', 'year')
    )
    op.create_table('ops_quarantine',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('department_code', sa.String(length=64), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.String(length=32), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('dataset', sa.String(length=50), nullable=False),
    sa.Column('source_uri', sa.String(length=1024), nullable=True),
    sa.Column('source_row', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=64), nullable=True),
    sa.Column('value_provided', sa.Text(), nullable=True),
    sa.Column('value_expected', sa.Text(), nullable=True),
    sa.Column('difference', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('quarantined_at', sa.DateTime(timezone=True), nullable=False)
    )
    op.create_index(op.f('ix_ops_quarantine_run_id'), 'ops_quarantine', ['run_id'], unique=False)
    op.create_table('ops_run',
    sa.Column('run_id', sa.String(length=64), nullable=False),
    sa.Column('flow_run_id', sa.String(length=64), nullable=True),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('code_version', sa.String(length=64), nullable=False),
    sa.Column('parameters', sa.Text(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('run_id')
    )
    fund = sa.table("dim_fund_source", sa.column("fund_source_code"), sa.column("fund_source_name"),
                    sa.column("sort_order"))
    op.bulk_insert(fund, [
        {"fund_source_code": "GPB", "fund_source_name": "一般公共预算财政拨款", "sort_order": 1},
        {"fund_source_code": "GFB", "fund_source_name": "政府性基金预算财政拨款", "sort_order": 2},
        {"fund_source_code": "SOC", "fund_source_name": "国有资本经营预算财政拨款", "sort_order": 3},
        {"fund_source_code": "OTH", "fund_source_name": "其他资金", "sort_order": 4},
    ])
    expense = sa.table("dim_expense_type", sa.column("expense_type_code"), sa.column("expense_type_name"),
                       sa.column("sort_order"))
    op.bulk_insert(expense, [
        {"expense_type_code": "BASIC", "expense_type_name": "基本支出", "sort_order": 1},
        {"expense_type_code": "PROJECT", "expense_type_name": "项目支出", "sort_order": 2},
    ])


def downgrade() -> None:
    op.drop_table('ops_run')
    op.drop_index(op.f('ix_ops_quarantine_run_id'), table_name='ops_quarantine')
    op.drop_table('ops_quarantine')
    op.drop_table('ops_partition')
    op.drop_table('ops_dq_result')
    op.drop_table('fct_reported_total')
    op.drop_table('fct_payment')
    op.drop_index(op.f('ix_fct_investment_project_department_code'), table_name='fct_investment_project')
    op.drop_table('fct_investment_project')
    op.drop_table('fct_indicator_value')
    op.drop_table('fct_budget_line')
    op.drop_index(op.f('ix_fct_application_department_code'), table_name='fct_application')
    op.drop_table('fct_application')
    op.drop_table('dim_project')
    op.drop_table('dim_period')
    op.drop_table('dim_indicator')
    op.drop_table('dim_fund_source')
    op.drop_table('dim_expense_type')
    op.drop_table('dim_enterprise')
    op.drop_table('dim_department')
