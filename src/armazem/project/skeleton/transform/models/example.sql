-- A first model. Replace it with your own, reading the raw tables through dbt's source()
-- function, e.g. source('shop', 'customers'): one dbt source per file in sources/.
select 1 as one
