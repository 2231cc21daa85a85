from local.dev import StackConfig


def test_make_dev_reads_its_settings_from_the_environment() -> None:
    config = StackConfig.from_env(
        {"PORT": "3005", "DEV_TENANT_ID": "my-shop", "DEV_TENANT_KEY": "srk_x", "OPENROUTER_BASE_URL": "http://127.0.0.1:9/v1",
         "HELICONE_API_KEY": "hk", "UNRELATED": "x"}
    )  # fmt: skip
    assert (config.port, config.tenant_id, config.tenant_key, config.openrouter_base_url) == (
        3005,
        "my-shop",
        "srk_x",
        "http://127.0.0.1:9/v1",
    )
    assert config.env == {"HELICONE_API_KEY": "hk"}  # only known settings reach the functions
    assert StackConfig.from_env({}).port == 3000


def test_an_openrouter_base_url_is_honoured_without_a_key() -> None:
    import json
    import urllib.request

    from local.dev import LocalStack
    from local.openrouter_sim import OpenRouterSimulator

    with OpenRouterSimulator() as elsewhere:
        config = StackConfig(port=0, dynamodb_port=0, instances=1, openrouter_base_url=elsewhere.base_url)
        with LocalStack(config) as stack:
            assert stack.simulator is None
            request = urllib.request.Request(  # noqa: S310 - loopback http only
                f"{stack.url}/v1/chat",
                data=json.dumps({"prompt": "Hi there", "customerId": "c"}).encode(),
                headers={"Authorization": f"Bearer {stack.tenant_key}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                assert response.status == 200
        # The question's embedding is computed in the function (EMBEDDER=local, the default): only the answer is asked.
        assert [r["path"] for r in elsewhere.requests] == ["/api/v1/chat/completions"]


def test_make_dev_reads_its_alert_settings() -> None:
    hook = "https://hooks.slack.com/services/T/B/x"
    config = StackConfig.from_env({"LOCAL_AWS_PORT": "4599", "SLACK_WEBHOOK_URL": hook, "WINDOWS_PERIOD_SECONDS": "5"})
    assert (config.aws_port, config.slack_webhook_url, config.windows_period_s) == (4599, hook, 5.0)
    defaults = StackConfig.from_env({})
    assert (defaults.aws_port, defaults.slack_webhook_url, defaults.windows_period_s) == (4566, "", 30.0)
