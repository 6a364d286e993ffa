-- The SoftCart star schema (capstone module 3), portable between PostgreSQL and DuckDB.
-- Unquoted identifiers: PostgreSQL folds them to lower case, DuckDB keeps the case as written.

CREATE TABLE staging.softcartDimDate (
    dateid      INTEGER PRIMARY KEY,
    date        DATE NOT NULL UNIQUE,
    Year        SMALLINT NOT NULL,
    Quarter     SMALLINT NOT NULL,
    QuarterName VARCHAR(2) NOT NULL,
    Month       SMALLINT NOT NULL,
    Monthname   VARCHAR(9) NOT NULL,
    Day         SMALLINT NOT NULL,
    Weekday     SMALLINT NOT NULL,
    WeekdayName VARCHAR(9) NOT NULL
);

CREATE TABLE staging.softcartDimCategory (
    categoryid INTEGER PRIMARY KEY,
    category   VARCHAR(40) NOT NULL
);

CREATE TABLE staging.softcartDimCountry (
    countryid INTEGER PRIMARY KEY,
    country   VARCHAR(60) NOT NULL
);

CREATE TABLE staging.softcartDimItem (
    itemid INTEGER PRIMARY KEY,
    item   VARCHAR(80) NOT NULL
);

CREATE TABLE staging.softcartFactSales (
    orderid    BIGINT PRIMARY KEY,
    dateid     INTEGER NOT NULL,
    countryid  INTEGER NOT NULL,
    categoryid INTEGER NOT NULL,
    itemid     INTEGER NOT NULL,
    amount     DECIMAL(12, 2) NOT NULL,
    FOREIGN KEY (dateid) REFERENCES staging.softcartDimDate (dateid),
    FOREIGN KEY (countryid) REFERENCES staging.softcartDimCountry (countryid),
    FOREIGN KEY (categoryid) REFERENCES staging.softcartDimCategory (categoryid),
    FOREIGN KEY (itemid) REFERENCES staging.softcartDimItem (itemid)
);
