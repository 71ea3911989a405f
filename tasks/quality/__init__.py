"""The data-quality gate: rule views, the rule registry (GX suites as files) and the runner."""
