"""Lambda handlers that tests/unit/test_apigw.py serves through local.apigw."""
