-- SoftCart's sales facts, run by DuckDB over the simulator's Arrow tables (not a warehouse table):
-- one row per completed order, whose first order line (lowest order_line_id) gives category and
-- item. The LEFT JOIN keeps orders whose day DimDate lacks, so warehouse.py can report them.
SELECT o.order_id AS orderid, d.dateid, c.country_id AS countryid, p.category_id AS categoryid,
       l.product_id AS itemid, cast(round(l.amount, 2) AS DECIMAL(12, 2)) AS amount
FROM orders AS o
JOIN (SELECT order_id, arg_min(product_id, order_line_id) AS product_id,
             sum(quantity * unit_price) AS amount
      FROM order_lines GROUP BY order_id) AS l ON l.order_id = o.order_id
JOIN products AS p ON p.product_id = l.product_id
JOIN customers AS c ON c.customer_id = o.customer_id
LEFT JOIN dim_date AS d ON d.date = cast(o.ordered_at AS DATE)
WHERE o.status = 'completed'
ORDER BY orderid
