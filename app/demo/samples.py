"""What the demo tickets say: custom data for the four demo templates, requesters, comments.

Pure functions of a seeded `random.Random`, so a demo desk reads the same every time it is
loaded. Every document is valid under its template's schema (`tests/app/test_demo.py` checks
each one against the published version); the conditional parts of the schemas are exercised
too (escalated complaints, account requests, refunds above 1,000, out-of-warranty repairs).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from app.tickets.service import Requester

# name, e-mail local part, preferred language; `@vip.example.com` requesters meet the triage
# workflow's VIP rule.
PEOPLE = [
    ("陈明 Chen Ming", "chen.ming", "zh"),
    ("李娜 Li Na", "li.na", "zh"),
    ("张伟 Zhang Wei", "zhang.wei", "zh"),
    ("王芳 Wang Fang", "wang.fang", "zh"),
    ("刘洋 Liu Yang", "liu.yang", "zh"),
    ("赵静 Zhao Jing", "zhao.jing", "zh"),
    ("黄磊 Huang Lei", "huang.lei", "zh"),
    ("周婷 Zhou Ting", "zhou.ting", "zh"),
    ("Emma Schneider", "emma.schneider", "en"),
    ("James Carter", "james.carter", "en"),
    ("Sofia Rossi", "sofia.rossi", "en"),
    ("Daniel Kim", "daniel.kim", "en"),
]
VIP_SHARE = 0.15


def requester(rng: random.Random) -> tuple[Requester, str]:
    """A customer and their preferred language (zh or en)."""
    name, local, language = rng.choice(PEOPLE)
    domain = "vip.example.com" if rng.random() < VIP_SHARE else "example.com"
    phone = f"+86 13{rng.randint(0, 9)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"
    return Requester(name=name, email=f"{local}@{domain}", phone=phone), language


def _order(rng: random.Random) -> str:
    return f"SO-2026{rng.randint(0, 9999):04d}"


def _amount(rng: random.Random, low: int, high: int) -> int:
    """An amount in whole units: a binary float with cents may miss `multipleOf: 0.01`."""
    return rng.randint(low, high)


COMPLAINTS = [
    (
        "Courier left the parcel outside in the rain",
        "The courier left my parcel at the gate in "
        "the rain; the box and the manual are soaked. 快递员把包裹放在门外被雨淋湿。",
    ),
    (
        "Hotline kept me waiting for 40 minutes",
        "I called the hotline twice today and waited 40 "
        "minutes each time before the line dropped. 客服热线等待时间过长。",
    ),
    (
        "Wrong colour delivered, second time",
        "I ordered the grey NB-14 and received a pink one, "
        "for the second time in a row. 第二次收到错误颜色的商品。",
    ),
    (
        "Store staff refused to accept my warranty card",
        "The store in Xuhui refused my warranty "
        "card and asked me to pay for the inspection. 门店拒绝受理保修卡。",
    ),
    (
        "Invoice still missing after three requests",
        "I have asked three times for the VAT "
        "invoice of my order and nobody answers. 发票多次申请仍未开具。",
    ),
    (
        "Technician missed the appointment",
        "The repair technician did not come to the "
        "appointment on Tuesday and nobody called. 维修师傅爽约且未通知。",
    ),
    (
        "Promised call-back never came",
        "Your colleague promised to call me back within a day; a "
        "week later I am still waiting. 承诺的回电一直没有来。",
    ),
    (
        "Rude answer in the online chat",
        "The chat agent told me to stop asking questions and "
        "closed the conversation. 在线客服态度恶劣。",
    ),
]
CHANNELS = ["phone", "email", "web", "wechat", "store"]
REASONS = [
    "repeat_issue",
    "sla_breach",
    "safety_risk",
    "legal_threat",
    "media_exposure",
    "vip_customer",
]


def complaint(rng: random.Random, person: Requester, language: str) -> dict[str, Any]:
    """A complaint: some escalated, some asking for compensation."""
    summary, description = rng.choice(COMPLAINTS)
    tier = rng.choices(["standard", "vip", "enterprise"], weights=[6, 3, 1])[0]
    data: dict[str, Any] = {
        "summary": summary,
        "customer_tier": tier,
        "urgency": rng.choice(["low", "medium", "medium", "high"]),
        "channel": rng.choice(CHANNELS),
        "description": description,
        "contact_name": person.name,
        "contact": person.email,
        "preferred_language": language,
        "escalate": rng.random() < 0.2,
    }
    if data["escalate"]:
        data["escalation_reason"] = rng.choice(REASONS)
        data["escalation_contact"] = f"{person.name}, {person.phone}"
    if rng.random() < 0.3:
        data.update(
            order_number=_order(rng), compensation_amount=_amount(rng, 50, 800), currency="CNY"
        )
    return data


IT_PROBLEMS: dict[str, list[tuple[str, str, str]]] = {
    "hardware": [
        (
            "Laptop does not charge any more",
            "NB-14",
            "The charging light stays off with two different adapters. 笔记本无法充电。",
        ),
        (
            "Second monitor flickers",
            "Dell U2720Q",
            "The second monitor flickers every few seconds since Monday. 显示器闪烁。",
        ),
    ],
    "software": [
        (
            "Outlook crashes when opening attachments",
            "Outlook",
            "Outlook closes itself whenever I open a PDF attachment. 打开附件时 Outlook 崩溃。",
        ),
        (
            "ERP report export hangs",
            "ERP",
            "Exporting the monthly sales report hangs at 90 % "
            "for everyone in finance. ERP 报表导出卡住。",
        ),
    ],
    "network": [
        (
            "VPN disconnects every ten minutes",
            "VPN",
            "The VPN drops every ten minutes when working from home. VPN 频繁断开。",
        ),
        (
            "No Wi-Fi on the 3rd floor",
            "Office Wi-Fi",
            "Nobody on the 3rd floor can join the "
            "office Wi-Fi since this morning. 三楼无法连接无线网络。",
        ),
    ],
    "account": [
        (
            "Account locked after password change",
            "Windows login",
            "I changed my password and now the account is locked. 修改密码后账号被锁定。",
        ),
        (
            "New colleague needs an account",
            "Active Directory",
            "A new colleague starts on "
            "Monday and needs a login and a mailbox. 新同事需要开通账号。",
        ),
    ],
    "printing": [
        (
            "Printer on the 2nd floor prints blank pages",
            "PX-550",
            "Every job on the 2nd floor printer comes out blank. 打印机打印空白页。",
        ),
        (
            "Cannot add the new printer",
            "Print server",
            "Windows cannot find the new printer on the print server. 无法添加新打印机。",
        ),
    ],
    "other": [
        (
            "Meeting room screen does not show my laptop",
            "Room 5A",
            "The screen in room 5A does not pick up any laptop over HDMI. 会议室投屏失败。",
        ),
    ],
}
USERNAMES = ["zhang.wei", "li.na", "wang.fang", "emma.s", "james.c", "liu.yang"]


def it_support(rng: random.Random, person: Requester, language: str) -> dict[str, Any]:
    """An IT request in one of the six categories; account requests name the user."""
    category = rng.choice(list(IT_PROBLEMS))
    summary, system, description = rng.choice(IT_PROBLEMS[category])
    data: dict[str, Any] = {
        "summary": summary,
        "category": category,
        "affected_system": system,
        "urgency": rng.choice(["low", "medium", "medium", "high"]),
        "description": description,
        "contact": person.email,
    }
    if person.phone and rng.random() < 0.6:
        data["phone"] = person.phone
    if category == "account":
        data["username"] = rng.choice(USERNAMES)
    return data


REFUNDS = [
    (
        "duplicate_charge",
        "Charged twice for order {order}",
        "The card statement shows the same amount twice for {order}. 同一订单被扣款两次。",
    ),
    (
        "order_cancelled",
        "Refund for cancelled order {order}",
        "I cancelled {order} within the hour and have not been refunded. 订单已取消但未退款。",
    ),
    (
        "defective_product",
        "Defective router, refund please ({order})",
        "The RT-AX3000 of {order} "
        "reboots every few minutes; I returned it. 路由器有质量问题已退货。",
    ),
    (
        "not_delivered",
        "Order {order} never arrived",
        "Tracking says delivered but nothing came. 订单显示已签收但未收到。",
    ),
    (
        "price_difference",
        "Price dropped two days after I bought ({order})",
        "The price of "
        "{order} dropped by 15 % two days later; I ask for the difference. 申请价格差额退款。",
    ),
    (
        "other",
        "Refund of a gift card for {order}",
        "The gift card used for {order} was charged but not applied. 礼品卡扣款未抵扣。",
    ),
]


def refund(rng: random.Random, person: Requester, language: str) -> dict[str, Any]:
    """A refund request: mostly small, some above 1,000 (approval note) or 5,000 (large)."""
    reason, summary, details = rng.choice(REFUNDS)
    order = _order(rng)
    size = rng.choices(["small", "medium", "large", "huge"], weights=[5, 3, 2, 1])[0]
    low, high = {
        "small": (20, 500),
        "medium": (500, 1000),
        "large": (1000, 5000),
        "huge": (5000, 12000),
    }[size]
    amount = _amount(rng, low, high)
    data: dict[str, Any] = {
        "summary": summary.format(order=order),
        "order_number": order,
        "refund_amount": amount,
        "currency": rng.choices(["CNY", "USD", "EUR"], weights=[8, 1, 1])[0],
        "reason": reason,
        "details": details.format(order=order),
        "bank_account_last4": f"{rng.randint(0, 9999):04d}",
        "contact": person.email,
    }
    if amount > 1000:
        data["manager_approval_note"] = (
            "Payment gateway log checked: the charge is confirmed and not yet refunded."
        )
    return data


REPAIRS = [
    ("px_200", ["paper_jam"], "Paper jams in tray 1 on every job. 每次打印都卡纸。"),
    (
        "px_550_mfp",
        ["paper_jam", "print_quality"],
        "Jams and grey streaks on every page. 卡纸且有灰色条纹。",
    ),
    (
        "ix_800_inkjet",
        ["print_quality"],
        "Colours are washed out after a head cleaning. 清洗喷头后颜色变淡。",
    ),
    (
        "nb_14",
        ["battery", "overheating"],
        "The battery lasts 40 minutes and the fan is loud. 电池续航短且发热。",
    ),
    ("nb_16_pro", ["screen_defect"], "The screen flickers when the lid is half closed. 屏幕闪烁。"),
    (
        "rt_ax3000",
        ["no_network"],
        "The router loses its WAN connection every evening. 路由器每晚断网。",
    ),
    ("rt_mesh_m5", ["no_power"], "One mesh node no longer powers on. 网状节点无法开机。"),
]
MODEL_NAMES = {
    "px_200": "PX-200",
    "px_550_mfp": "PX-550",
    "ix_800_inkjet": "IX-800",
    "nb_14": "NB-14",
    "nb_16_pro": "NB-16 Pro",
    "rt_ax3000": "RT-AX3000",
    "rt_mesh_m5": "RT-Mesh M5",
}
REGIONS = ["north_china", "east_china", "south_china", "central_china", "southwest"]
ADDRESSES = [
    "上海市浦东新区张江路 100 号 3 楼前台",
    "北京市朝阳区建国路 88 号 SOHO 2 座",
    "广州市天河区体育西路 191 号 12 楼",
]


def repair(rng: random.Random, person: Requester, language: str) -> dict[str, Any]:
    """A repair: in warranty, out of warranty (fee accepted) or unknown (frontline checks)."""
    model, symptoms, description = rng.choice(REPAIRS)
    warranty = rng.choices(["in_warranty", "out_of_warranty", "unknown"], weights=[5, 3, 2])[0]
    purchased = date(2026, 11, 1) - timedelta(days=rng.randint(30, 1400))
    serial = f"CN{model[:2].upper()}{rng.randint(10_000_000, 99_999_999)}"
    data: dict[str, Any] = {
        "summary": f"{MODEL_NAMES[model]}: {description.split('. ')[0].rstrip('.')}",
        "product_model": model,
        "serial_number": serial,
        "fault_symptoms": list(symptoms),
        "description": description,
        "purchase_date": purchased.isoformat(),
        "warranty_status": warranty,
        "contact_name": person.name,
        "contact_phone": person.phone or "+86 21 5000 0000",
        "region": rng.choice(REGIONS),
    }
    if warranty == "out_of_warranty":
        data.update(accept_repair_fee=True, max_repair_fee=rng.choice([300, 500, 800, 1200]))
    if rng.random() < 0.3:
        data.update(pickup_address=rng.choice(ADDRESSES), pickup_date="2026-12-15")
    return data


TEMPLATES: dict[str, Callable[[random.Random, Requester, str], dict[str, Any]]] = {
    "complaint": complaint,
    "it_support": it_support,
    "refund": refund,
    "repair": repair,
}
"""Template key → the function that writes a ticket's custom data."""

TEMPLATE_WEIGHTS = {"complaint": 3, "it_support": 3, "refund": 2, "repair": 2}

REPLIES = [
    "Thank you for contacting us. I am looking into this now and will update you today. "
    "您好，我们已收到您的请求，正在处理中。",
    "Thanks for the details. I have reproduced the problem and am working on a fix. "
    "感谢您提供的信息，我们已确认问题。",
    "I am sorry for the trouble. I have taken over your request personally. "
    "给您带来不便深表歉意，我会亲自跟进。",
]
QUESTIONS = [
    "Could you send us a photo of the label with the serial number? 请提供序列号标签的照片。",
    "Could you tell us when the problem started and whether anything changed before? "
    "请告诉我们问题从何时开始。",
    "Please confirm the order number and the last four digits of the card. "
    "请确认订单号和银行卡后四位。",
]
CUSTOMER_REPLIES = [
    "Here is the photo you asked for. 照片已附上。",
    "It started last Friday after the update. 上周五更新后开始出现。",
    "Confirmed, the details in the request are correct. 信息无误。",
]
NOTES = [
    "Checked the history: second request from this customer this month.",
    "Waiting for the warehouse to confirm the return.",
    "Escalated internally to the product team, no answer yet.",
]
RESOLUTIONS = {
    "complaint": "Apologised, explained the cause and credited a voucher. 已致歉并补偿优惠券。",
    "it_support": "Fixed remotely; the user confirmed it works again. 已远程修复并确认。",
    "refund": "Refund issued to the original payment method. 已原路退款。",
    "repair": "Replaced the faulty part and tested the device. 已更换故障配件并测试。",
}
PARTS = {
    "px_200": "pickup roller kit",
    "px_550_mfp": "fuser unit and transfer belt",
    "ix_800_inkjet": "print head",
    "nb_14": "battery pack",
    "nb_16_pro": "display cable",
    "rt_ax3000": "power board",
    "rt_mesh_m5": "power adapter",
}
