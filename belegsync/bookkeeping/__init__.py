"""The neutral bookkeeping model: pure Python, no Django, no I/O.

Every source turns what it reads into a :class:`Voucher`; every target turns a
:class:`Voucher` into its own request. See docs/architecture.md.
"""

from .amounts import Position, PriceBasis, TaxGroup, allocate, rate_tax, split_by_rates
from .money import (
    CENT,
    ZERO,
    format_rate,
    gross_from_net,
    net_from_gross,
    round_cents,
    tax_of_net,
)
from .order_level import main_rate, spread_over_rates
from .serialization import voucher_from_dict, voucher_to_dict
from .tax import TaxTreatment, allowed_rates, derive_treatment
from .validation import InvalidVoucher, Problem, ensure_valid, validate, warnings
from .voucher import (
    DocumentDate,
    Line,
    LineCategory,
    Party,
    Payment,
    Voucher,
    VoucherKind,
)

__all__ = [
    "CENT",
    "ZERO",
    "DocumentDate",
    "InvalidVoucher",
    "Line",
    "LineCategory",
    "Party",
    "Payment",
    "Position",
    "PriceBasis",
    "Problem",
    "TaxGroup",
    "TaxTreatment",
    "Voucher",
    "VoucherKind",
    "allocate",
    "allowed_rates",
    "derive_treatment",
    "ensure_valid",
    "format_rate",
    "gross_from_net",
    "main_rate",
    "net_from_gross",
    "rate_tax",
    "round_cents",
    "split_by_rates",
    "spread_over_rates",
    "tax_of_net",
    "validate",
    "voucher_from_dict",
    "voucher_to_dict",
    "warnings",
]
