"""What the rest of the platform reads: ``cashwrap.config.service``, secrets in clear,
documented defaults filled in, one effective fulfillment configuration."""

from __future__ import annotations

from tests.config.support import example, read, seed_fulfillment


def test_an_unconfigured_tenant_reads_the_documented_defaults(platform, tenant):
    name = tenant.tenant
    assert read(platform, "external_oms_enabled", name) is False
    assert read(platform, "routing_switch", name, "uses_external_atp") is False
    assert (
        read(platform, "routing_switch", name, "skip_shipping_offer_update_for_dc_orders") is True
    )
    assert read(platform, "routing_switch", name, "cancel_on_conflict") == {"default": True}
    assert read(platform, "availability_webhook", name) is None
    assert read(platform, "external_order_webhook", name) is None
    assert read(platform, "shipping_adapter", name) is None
    assert read(platform, "fulfillment_config", name) is None
    app = read(platform, "associate_app", name)
    assert app.use_new_om_ui is False
    assert app.capabilities.mixed_cart is False
    assert app.capabilities.allowed_fulfillment_types == ["IN_STORE_HANDOVER", "SHIPPING"]
    assert app.capabilities.cash_for_endless_aisle_orders_enabled is False
    payment = read(platform, "payment_config", name)
    assert payment.use_charge_api is False
    assert payment.provider is None
    assert read(platform, "refund_options", name, None) == [
        "gift_card",
        "e_gift_card",
        "credit_card",
        "original",
        "external",
    ]
    assert read(platform, "store_settings", name, "US01").mixed_cart is False
    injection = read(platform, "order_injection", name)
    assert injection.skip_soft_routing_on_injection is False
    assert injection.hard_limit_for_big_orders is None
    sales = read(platform, "sales_order_config", name)
    assert (sales.enabled, sales.order_number_prefix, sales.grace_period_minutes) == (False, "", 0)


def test_secrets_are_in_clear_for_the_platform(api, platform, tenant):
    api.put(
        "/v0/config/availability_webhook", json=example("availability-config.update.request.json")
    )
    api.put(
        "/v0/config/external_order_webhook",
        json={"url": "https://oms.example.com/orders", "api_key": "a" * 20},
    )
    api.put(
        "/v0/config/shipping_adapter", json={"url": "http://127.0.0.1:9/ship", "api_key": "s" * 20}
    )
    api.put(
        "/v0/config/payment",
        json={
            "use_charge_api": True,
            "provider": {"url": "https://psp.example.com", "api_key": "p" * 20},
        },
    )
    webhook = read(platform, "availability_webhook", tenant.tenant)
    assert (webhook.url, webhook.api_key, webhook.external_identifier, webhook.timeout) == (
        "https://oms.example.com/availabilities",
        "962b5dfbc57da5448cb4",
        "product_id",
        15,
    )
    orders = read(platform, "external_order_webhook", tenant.tenant)
    assert (orders.url, orders.api_key, orders.timeout) == (
        "https://oms.example.com/orders",
        "a" * 20,
        15,
    )
    assert read(platform, "shipping_adapter", tenant.tenant).api_key == "s" * 20
    payment = read(platform, "payment_config", tenant.tenant)
    assert payment.provider.api_key == "p" * 20


def test_refund_options_per_store_then_global(api, platform, tenant):
    api.put(
        "/v0/config/payment",
        json={
            "refund_options": ["original", "external"],
            "store_mapping": {"US01": {"refund_options": ["gift_card"]}},
        },
    )
    assert read(platform, "refund_options", tenant.tenant, "US01") == ["gift_card"]
    assert read(platform, "refund_options", tenant.tenant, "US02") == ["original", "external"]
    assert read(platform, "refund_options", tenant.tenant, None) == ["original", "external"]


def test_the_effective_fulfillment_configuration_of_the_seed(api, platform, tenant):
    api.put("/v0/config/fulfillment", json=seed_fulfillment())
    config = read(platform, "fulfillment_config", tenant.tenant)
    assert config.ruleset_version == 1
    level = config.service_levels["Priority"]
    assert (level.display_name, level.price, level.currency_code, level.delivery_time) == (
        "Priority",
        0,
        "USD",
        "2-4 business days",
    )
    assert config.sl_levels_priority == ["Priority"]
    assert config.node_ids() == {"9801"}
    assert config.route_for("US", "10001").index == 0
    assert config.route_for("DE", "10115") is None
    nodes = config.nodes_for("Priority", "US", "94105")
    assert [(node.fulfillment_node_id, node.provider_rate) for node in nodes] == [
        ("9801", "Priority")
    ]
    assert config.service_levels_for("US") == ["Priority"]
    assert config.provider_rate_for("Priority", "9801").shipping_carrier_name == "USPS"


def test_routes_match_zip_patterns_in_order(api, platform, tenant):
    from tests.config.test_fulfillment_config import two_levels

    api.put("/v0/config/fulfillment", json=two_levels())
    config = read(platform, "fulfillment_config", tenant.tenant)
    assert config.route_for("US", "10001").index == 0
    assert config.route_for("US", "10200").index == 0
    assert config.route_for("US", "94105").index == 1
    assert config.route_for("CA", "H2X 1Y4").index == 1
    assert config.route_for("US", None).index == 1
    assert [node.fulfillment_node_id for node in config.nodes_for("Express", "US", "94105")] == [
        "9801",
        "DC02",
    ]
    assert config.service_levels["Express"].price == 1250
    assert config.service_levels_for("US", "10001") == ["Priority", "Express"]
    assert config.node_ids() == {"NY01", "9801", "DC02"}


def test_a_ruleset_gives_nodes_by_location_group_preferred_first(api, platform, tenant):
    ruleset = example("routing-ruleset.get.response.json")
    api.put("/v0/routing/ruleset", json=ruleset)
    api.put(
        "/fulfillment/provider-rates/Ground",
        json={
            "carrier_defined_service_level": "GROUND_HOME",
            "return_provider_rate_id": "",
            "service_level_id": "GROUND",
            "shipping_carrier_name": "FedEx",
            "shipping_type": "traditional_carrier",
            "use_as_customer_facing_cost": False,
        },
    )
    config = read(platform, "fulfillment_config", tenant.tenant)
    assert config.ruleset_version == 2
    assert config.service_levels == {}
    assert config.sl_levels_priority == ["GROUND", "2_DAY"]
    assert [node.fulfillment_node_id for node in config.nodes_for("2_DAY", "US", "94105")] == [
        "DC01",
        "US15",
        "US16",
    ]
    assert config.node_ids() == {"DC01", "US15", "US16", "US01", "US02", "US03"}
    assert config.provider_rate_for("GROUND", "US01").id == "Ground"
    assert config.provider_rate_for("2_DAY") is None


def test_stored_settings_are_read_back(api, platform, tenant):
    api.put("/v0/config/external_oms", json={"enabled": True})
    api.post("/v0/config/routing/uses_external_atp", json={"value": True})
    api.post(
        "/v1/r/config/order_injection",
        params={"version": "1"},
        json=example("order-injection-config.update.request.json"),
    )
    api.put("/v0/config/stores/US01", json={"mixed_cart": True})
    api.put(
        "/v0/config/sales_order",
        json={"enabled": True, "order_number_prefix": "CW-", "grace_period_minutes": 15},
    )
    assert read(platform, "external_oms_enabled", tenant.tenant) is True
    assert read(platform, "routing_switch", tenant.tenant, "uses_external_atp") is True
    injection = read(platform, "order_injection", tenant.tenant)
    assert (injection.skip_soft_routing_on_injection, injection.hard_limit_for_big_orders) == (
        True,
        800,
    )
    assert read(platform, "store_settings", tenant.tenant, "US01").mixed_cart is True
    assert read(platform, "sales_order_config", tenant.tenant).order_number_prefix == "CW-"
