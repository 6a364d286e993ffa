"""SoftCart's fixed reference data: countries, categories, product types, search vocabulary.

Countries and categories are those of the capstone's reporting warehouse
(../shared/capstone/softcart-dw/DimCountry.csv and DimCategory.csv, same names and ids); a test
keeps them in step. They are kept here so the simulator needs no file outside the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

HISTORY_START = date(2019, 1, 1)
HISTORY_END = date(2021, 12, 31)  # the capstone's DimDate spans 2019-2021
WEBLOG_DAYS = 60  # web servers keep the last two months of access logs

# (name, region) in the capstone's countryid order (1-based).
COUNTRIES: tuple[tuple[str, str], ...] = (
    ("Argentina", "Americas"), ("Australia", "Oceania"), ("Austria", "Europe"),
    ("Azerbaijan", "Asia"), ("Belgium", "Europe"), ("Brazil", "Americas"),
    ("Bulgaria", "Europe"), ("Canada", "Americas"), ("Cyprus", "Europe"),
    ("Czech Republic", "Europe"), ("Denmark", "Europe"), ("Egypt", "Africa"),
    ("Estonia", "Europe"), ("Finland", "Europe"), ("France", "Europe"),
    ("Germany", "Europe"), ("Greece", "Europe"), ("Hungary", "Europe"),
    ("India", "Asia"), ("Indonesia", "Asia"), ("Ireland", "Europe"), ("Israel", "Asia"),
    ("Italy", "Europe"), ("Japan", "Asia"), ("Jordan", "Asia"), ("Malaysia", "Asia"),
    ("Mexico", "Americas"), ("Netherlands", "Europe"), ("New Zealand", "Oceania"),
    ("Norway", "Europe"), ("Oman", "Asia"), ("Peru", "Americas"), ("Philippines", "Asia"),
    ("Poland", "Europe"), ("Portugal", "Europe"), ("Qatar", "Asia"), ("Russia", "Europe"),
    ("Saudi Arabia", "Asia"), ("Singapore", "Asia"), ("South Africa", "Africa"),
    ("South Korea", "Asia"), ("Spain", "Europe"), ("Sudan", "Africa"), ("Sweden", "Europe"),
    ("Switzerland", "Europe"), ("Taiwan", "Asia"), ("Tajikistan", "Asia"),
    ("Thailand", "Asia"), ("Turkey", "Asia"), ("Ukraine", "Europe"),
    ("United Arab Emirates", "Asia"), ("United Kingdom", "Europe"),
    ("United States", "Americas"), ("Uruguay", "Americas"), ("Uzbekistan", "Asia"),
    ("Vietnam", "Asia"),
)  # fmt: skip

# Relative size of each country's customer base; unlisted countries weigh 1.
COUNTRY_WEIGHTS: dict[str, float] = {
    "United States": 30, "India": 14, "United Kingdom": 10, "Germany": 8, "Canada": 6,
    "Brazil": 6, "France": 5, "Japan": 5, "Australia": 4, "Spain": 4, "Italy": 4,
    "Mexico": 3, "Netherlands": 3, "South Korea": 3, "Indonesia": 3, "Poland": 2,
}  # fmt: skip


@dataclass(frozen=True)
class ProductType:
    """A kind of product: its price range and the catalog attributes that only it has."""

    name: str
    price_range: tuple[float, float]
    attributes: dict[str, tuple[object, ...]] = field(default_factory=dict)


# (category name, product types) in the capstone's categoryid order (1-based).
CATEGORIES: tuple[tuple[str, tuple[ProductType, ...]], ...] = (
    ("Electronics", (
        ProductType("laptop", (450, 2400), {
            "screen size": (13.3, 14, 15.6, 17), "ram": ("8GB", "16GB", "32GB"),
            "hard disk": ("256GB", "512GB", "1TB")}),
        ProductType("smart phone", (120, 1300), {"screen size": (5.5, 6, 6.5)}),
        ProductType("television", (250, 2200), {"screen size": (32, 43, 50, 55, 65)}),
        ProductType("tablet", (150, 1100), {"screen size": (8, 10, 11), "wifi": (True, False)}),
    )),
    ("Books", (
        ProductType("book", (8, 60), {
            "genre": ("fiction", "technical", "self help", "history"), "pages": (180, 320, 540)}),
        ProductType("ebook", (3, 30), {"genre": ("fiction", "technical", "self help"),
                                       "format": ("epub", "pdf")}),
    )),
    ("Toys", (
        ProductType("board game", (15, 90), {"players": ("2-4", "2-6", "1-8"),
                                             "age range": ("6+", "8+", "12+")}),
        ProductType("puzzle", (10, 45), {"pieces": (500, 1000, 2000)}),
    )),
    ("Sports", (
        ProductType("running shoes", (40, 220), {"size": (38, 40, 42, 44, 46)}),
        ProductType("bicycle", (200, 2500), {"frame": ("S", "M", "L")}),
    )),
    ("Software", (
        ProductType("software", (10, 600), {"platform": ("windows", "macos", "linux"),
                                            "license": ("perpetual", "subscription")}),
    )),
)  # fmt: skip

SEARCH_TERMS: tuple[tuple[str, float], ...] = (
    ("mobile 6 inch", 23), ("mobile 5g", 23), ("mobile latest", 13), ("laptop", 9.4),
    ("tablet wifi", 9), ("tablet 10 inch", 7), ("gaming laptop", 5), ("laptop 14 inch", 4.6),
    ("ebooks data science", 4.1), ("pen drive", 1.4), ("4k television", 1.2),
    ("board games", 1), ("running shoes", 0.9), ("antivirus", 0.5),
)  # fmt: skip

# Relative order volume by month (January first) and weekday (Monday first).
MONTH_SEASON = (0.85, 0.8, 0.9, 0.9, 0.95, 0.95, 0.9, 0.95, 1.0, 1.05, 1.45, 1.7)
WEEKDAY_SEASON = (1.0, 0.97, 0.98, 1.0, 1.08, 1.2, 1.15)
