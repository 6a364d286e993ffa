{#- Every fact row points at the version of a type 2 dimension that was valid at the fact's
    moment (valid_from <= moment < valid_to), and carries that version's values of the `same`
    columns (e.g. the business key, the country). An incremental fact that kept a version after
    the dimension's history changed shows up here. A row here is a fact with the wrong version. -#}
{% test fact_version_valid_at(model, version_key, dimension, moment, same=[]) %}

select
    facts.{{ version_key }},
    facts.{{ moment }},
    versions.valid_from,
    versions.valid_to

from {{ model }} as facts
inner join {{ dimension }} as versions
    on facts.{{ version_key }} = versions.{{ version_key }}
where
    not (facts.{{ moment }} >= versions.valid_from and facts.{{ moment }} < versions.valid_to)
    {%- for column in same %}
    or facts.{{ column }} <> versions.{{ column }}
    {%- endfor %}

{% endtest %}
