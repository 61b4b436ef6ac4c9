"""The residents' web page in each language: its labels, the words its buttons send, its notices,
and the language a browser asks for. Pure.

A button sends words the bot reads in the form's validation, as if typed ("cough, headache",
"咳嗽、头痛"), so a button answer and a typed one are read, recorded and checked the same way;
tests/bot/test_web_texts.py reads every button's words with the language's readers.
"""
from __future__ import annotations

from typing import Optional

from campaigns.records.vocabulary import DEFAULT_LANGUAGE, RED_FLAG_CODES, language_of

# code -> (English words, Mandarin words): the button's label, and what it sends.
SIGNS: dict[str, tuple[str, str]] = {
    "fever": ("fever", "发烧"), "chills": ("chills", "发冷"), "cough": ("cough", "咳嗽"),
    "shortness_of_breath": ("shortness of breath", "气短"), "fatigue": ("tiredness", "乏力"),
    "muscle_aches": ("body aches", "浑身酸痛"), "headache": ("headache", "头痛"),
    "loss_of_taste_or_smell": ("loss of taste or smell", "闻不到或尝不出味道"),
    "sore_throat": ("sore throat", "嗓子疼"), "runny_nose": ("runny nose", "流鼻涕"),
    "nausea_vomiting": ("nausea or vomiting", "恶心或呕吐"), "diarrhea": ("diarrhea", "腹泻"),
    "difficulty_breathing": ("difficulty breathing", "呼吸困难"), "chest_pain": ("chest pain", "胸痛"),
    "confusion": ("confusion", "意识不清"), "bluish_lips": ("bluish lips", "嘴唇发紫"),
}

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Health screening", "switch": "中文", "switch_label": "切换到中文 (Chinese)",
        "intro": "Answer a few questions about your temperature and symptoms. Your answers go to the health office.",
        "yes": "Yes", "no": "No", "say_yes": "yes", "say_no": "no",
        "send": "Send", "answer": "Your answer", "placeholder": "Type your answer",
        "none": "None of these", "say_none": "none", "serious": "Serious signs", "join": ", ",
        "no_thermometer": "No thermometer", "say_no_thermometer": "I don't have a thermometer",
        "erase": "Erase", "you": "You", "bot": "Health office",
        "help": "I need help", "help_title": "What do you need help with?", "cancel": "Cancel",
        "medicine": "Medicine", "food": "Food", "medical_care": "Medical care", "other": "Other",
        "help_note": "Anything to add (optional)", "help_send": "Ask for help",
        "help_sent": "We have told the health office that you need help ({what}). Someone will contact you.",
        "done": "Thank you. You can close this page.",
        "offline": "The network did not answer. Please try again.",
        "walk_in_title": "Report your health",
        "phone_legend": "Link your report to your household (optional)", "phone": "Your phone number",
        "get_code": "Text me a code", "code": "The 6-digit code", "confirm": "Confirm",
        "code_sent": "We texted you a code. Type it here.", "proved": "Thank you: your phone number is confirmed.",
        "anon_legend": "Or report without a phone number", "community": "Your community",
        "choose": "Choose…", "start": "Start", "say_hello": "hello",
    },
    "zh": {
        "title": "健康筛查", "switch": "English", "switch_label": "Switch to English (切换到英文)",
        "intro": "请回答几个关于体温和症状的问题。您的回答会交给健康办公室。",
        "yes": "是", "no": "否", "say_yes": "是", "say_no": "否",
        "send": "发送", "answer": "您的回答", "placeholder": "输入您的回答",
        "none": "都没有", "say_none": "没有", "serious": "严重症状", "join": "、",
        "no_thermometer": "没有体温计", "say_no_thermometer": "没有体温计",
        "erase": "删除", "you": "您", "bot": "健康办公室",
        "help": "我需要帮助", "help_title": "您需要什么帮助？", "cancel": "取消",
        "medicine": "药品", "food": "食物", "medical_care": "就医", "other": "其他",
        "help_note": "补充说明（可不填）", "help_send": "请求帮助",
        "help_sent": "我们已通知健康办公室您需要帮助（{what}），会有工作人员联系您。",
        "done": "谢谢，您可以关闭此页面。",
        "offline": "网络没有响应，请重试。",
        "walk_in_title": "健康自报",
        "phone_legend": "将报告关联到您的家庭（可选）", "phone": "您的手机号码",
        "get_code": "发送验证码", "code": "6位验证码", "confirm": "确认",
        "code_sent": "验证码已通过短信发送，请在此输入。", "proved": "谢谢，您的手机号码已确认。",
        "anon_legend": "或不提供手机号码直接报告", "community": "您所在的社区",
        "choose": "请选择…", "start": "开始", "say_hello": "你好",
    },
}

# Why a link cannot be used: (title, text) per language; "{report}" is the walk-in page's address.
NOTICES: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "forged": ("This link does not work",
                   "Please check that you opened the whole link from the text message. You can also report on {report}."),
        "expired": ("This link has expired",
                    "A link works only until the end of the day it was sent. You can still report on {report}."),
        "completed": ("Your answers were received",
                      "Thank you. This link has been used and nothing more is needed."),
        "unavailable": ("This link cannot be used now",
                        "Please try again later, or report on {report}."),
        "slow_down": ("Too many requests", "Please wait a minute and try again."),
    },
    "zh": {
        "forged": ("此链接无效", "请确认您打开的是短信中的完整链接。您也可以在{report}报告。"),
        "expired": ("此链接已过期", "链接只在发送当天有效。您仍可以在{report}报告。"),
        "completed": ("您的回答已收到", "谢谢。此链接已使用，无需再做什么。"),
        "unavailable": ("此链接暂时无法使用", "请稍后再试，或在{report}报告。"),
        "slow_down": ("请求太多", "请等一分钟再试。"),
    },
}
REPORT_PAGE = {"en": "the self-report page", "zh": "自报页面"}


def texts_for(language: Optional[str]) -> dict[str, str]:
    return TEXTS[language_of(language) or DEFAULT_LANGUAGE]


def signs_for(language: str) -> list[dict[str, object]]:
    """The symptom buttons: code, words, and whether it is a red flag."""
    column = 1 if language == "zh" else 0
    return [{"code": code, "words": words[column], "red_flag": code in RED_FLAG_CODES} for code, words in SIGNS.items()]


def accepted_language(header: Optional[str]) -> str:
    """The language the bot speaks that an Accept-Language header prefers ("zh-CN,zh;q=0.9" -> "zh")."""
    choices: list[tuple[float, int, str]] = []
    for position, part in enumerate((header or "")[:500].split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        language = language_of(tag)
        if language and weight > 0:
            choices.append((-weight, position, language))
    return min(choices)[2] if choices else DEFAULT_LANGUAGE
