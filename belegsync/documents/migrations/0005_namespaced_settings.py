"""Connection settings by namespace: the engine's policy, then each side's own.

Until now every form wrote one flat dict, and two forms writing one key is how
a payment-account mapping got wiped. Each key moves to its owner:
``{"policy": {...}, "source": {...}, "target": {...}}``. The key lists are
written out here, not read from the adapters' models, so this migration means
the same whatever the models become. A key no list knows is kept under
``legacy``: nothing a merchant saved is dropped, except sevDesk's
``payment_reconciliation``, which only repeated ``mark_paid`` in other words
(``mark_paid`` decided since 1a75924).
"""

from django.db import migrations

#: flat key → the policy field (payment_accounts.* are the nested PaymentAccounts)
POLICY_KEYS = {
    "mark_paid": "mark_paid",
    "transfer_pdf": "transfer_pdf",
    "start_date": "start_date",
    "document_date": "document_date",
    "create_customers": "customer_per_buyer",
    "small_business": "small_business",
    "future_days": "future_days",
}
ACCOUNT_KEYS = {
    "payment_accounts": "by_method",
    "book_unassigned_as_default": "unassigned_to_default",
    "default_payment_account": "default_account",
}
RECHNUNGSLISTE = ("afterbuy_web_url", "csv_mapping")
SOURCE_KEYS = {
    "billbee": (
        "shop_ids",
        "state_ids",
        "state_rule",
        "export_tag",
        "billbee_base_url",
        "payment_accounts_required",
    ),
    "afterbuy_csv": RECHNUNGSLISTE,
    "afterbuy_api": (
        *RECHNUNGSLISTE,
        "afterbuy_documents",
        "afterbuy_export_tag",
        "afterbuy_api_url",
    ),
}
TARGET_KEYS = {
    "lexoffice": (
        "lexoffice_base_url",
        "lexoffice_distance_sales_principle",
        "lexoffice_category_overrides",
        "lexoffice_snapshot_seconds",
    ),
    "sevdesk": ("sevdesk_accounts",),
}
DROPPED = ("payment_reconciliation",)
NAMESPACES = ("policy", "source", "target", "legacy")


def _policy(flat):
    """The policy's fields in ``flat``, read as the engine read them (Policy.from_flat)."""
    policy = {}
    for key, name in POLICY_KEYS.items():
        if key in flat:
            policy[name] = flat[key]
    if "start_date" in policy:
        policy["start_date"] = policy["start_date"] or None
    if "document_date" in policy:
        policy["document_date"] = policy["document_date"] or "invoice"
    for key in ("mark_paid", "transfer_pdf", "customer_per_buyer", "small_business"):
        if key in policy:
            policy[key] = bool(policy[key])
    accounts = {}
    for key, name in ACCOUNT_KEYS.items():
        if key in flat:
            accounts[name] = flat[key]
    if "by_method" in accounts:
        # an empty mapping field meant "not mapped", not an account called ""
        accounts["by_method"] = {
            str(m): str(a) for m, a in (accounts["by_method"] or {}).items() if a
        }
    if "unassigned_to_default" in accounts:
        accounts["unassigned_to_default"] = bool(accounts["unassigned_to_default"])
    if "default_account" in accounts:
        accounts["default_account"] = str(accounts["default_account"] or "")
    if accounts:
        policy["payment_accounts"] = accounts
    return policy


def split(flat, source_kind, target_kind):
    """The namespaced settings of one connection's flat dict."""
    flat = dict(flat or {})
    if set(flat) and set(flat) <= set(NAMESPACES):
        return flat  # already namespaced
    result = {"policy": _policy(flat), "source": {}, "target": {}}
    for side, kind, keys in (
        ("source", source_kind, SOURCE_KEYS),
        ("target", target_kind, TARGET_KEYS),
    ):
        for key in keys.get(kind, ()):
            if key in flat:
                result[side][key] = flat[key]
        rate = flat.get(f"{side}_rate_per_second")
        if rate:
            result[side]["rate_per_second"] = float(rate)
    used = {*POLICY_KEYS, *ACCOUNT_KEYS, *DROPPED, "source_rate_per_second", "target_rate_per_second"}
    used |= {k for side in ("source", "target") for k in result[side]}
    legacy = {k: v for k, v in flat.items() if k not in used}
    if legacy:
        result["legacy"] = legacy
    return {k: v for k, v in result.items() if v}


def join(namespaced):
    """The flat dict of before (for migrating back)."""
    namespaced = dict(namespaced or {})
    if not set(namespaced) <= set(NAMESPACES):
        return namespaced  # flat already
    flat = dict(namespaced.get("legacy") or {})
    for side in ("source", "target"):
        values = dict(namespaced.get(side) or {})
        rate = values.pop("rate_per_second", None)
        if rate:
            flat[f"{side}_rate_per_second"] = rate
        flat.update(values)
    policy = dict(namespaced.get("policy") or {})
    for key, name in POLICY_KEYS.items():
        if name in policy:
            flat[key] = policy[name]
    for key, name in ACCOUNT_KEYS.items():
        if name in (policy.get("payment_accounts") or {}):
            flat[key] = policy["payment_accounts"][name]
    return flat


def forwards(apps, schema_editor):
    Connection = apps.get_model("documents", "Connection")
    for connection in Connection.objects.all().iterator():
        connection.settings = split(
            connection.settings, connection.source_kind, connection.target_kind
        )
        connection.save(update_fields=["settings"])


def backwards(apps, schema_editor):
    Connection = apps.get_model("documents", "Connection")
    for connection in Connection.objects.all().iterator():
        connection.settings = join(connection.settings)
        connection.save(update_fields=["settings"])


class Migration(migrations.Migration):
    dependencies = [("documents", "0004_connection_setup")]

    operations = [migrations.RunPython(forwards, backwards)]
