"""Payments' models, one module per concept; they refer to each other by
string ("payments.Payment") so the modules never import each other."""

from payments.models.ledger import Account, CashOut, TopUp, TopUpBonusRule, Transfer
from payments.models.menu import Category, ModifierOption, Product
from payments.models.offline import OfflineCertificate, OfflineCodeUse, OfflineProgrammeKey, OfflineSale
from payments.models.orders import (
    CashMovement,
    Order,
    OrderCoupon,
    OrderLine,
    OrderRefund,
    OrderRefundPart,
    Shift,
    Tender,
)
from payments.models.pauses import WalletPause
from payments.models.recommendations import ProductPair, Recommendation, RecommendationExposure, RecommendationRun
from payments.models.risk import FailedCodeAttempt, IdempotencyRecord, RiskAlert
from payments.models.sales_summary import DailyCategorySales, DailyProductSales, DailySales, SalesSummaryDay
from payments.models.stores import ProgrammeSettings, Store, StoreHours, StoreStaff, Terminal, TerminalEnrolment
from payments.models.wallet_payments import Payment, PaymentCode, Refund

__all__ = [
    "DailySales",
    "DailyProductSales",
    "DailyCategorySales",
    "SalesSummaryDay",
    "Store",
    "StoreHours",
    "Terminal",
    "TerminalEnrolment",
    "StoreStaff",
    "ProgrammeSettings",
    "Account",
    "TopUpBonusRule",
    "TopUp",
    "CashOut",
    "Transfer",
    "PaymentCode",
    "Payment",
    "Refund",
    "IdempotencyRecord",
    "RiskAlert",
    "WalletPause",
    "FailedCodeAttempt",
    "Category",
    "ModifierOption",
    "Product",
    "Shift",
    "CashMovement",
    "Order",
    "OrderLine",
    "OrderRefund",
    "OrderRefundPart",
    "OrderCoupon",
    "Tender",
    "Recommendation",
    "RecommendationExposure",
    "RecommendationRun",
    "ProductPair",
    "OfflineCertificate",
    "OfflineCodeUse",
    "OfflineProgrammeKey",
    "OfflineSale",
]
