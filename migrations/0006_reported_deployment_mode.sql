-- Instances of the original SDKs never send `deployment_mode`; their `sys_mode`
-- metric says it. Ingestion now takes it from there while an instance has
-- none; this fills in the instances and history rows stored before, and marks
-- the days whose rollups change. Only values ingestion would take: 1 to 50
-- characters, no control or bidirectional character.

insert into rollup_stale (app_id, day)
select distinct app_id, day from instance_days
where deployment_mode is null
  and jsonb_typeof(metrics -> 'sys_mode') = 'string'
  and char_length(btrim(metrics ->> 'sys_mode')) between 1 and 50
  and metrics ->> 'sys_mode' !~ '[\u0001-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]'
on conflict (app_id, day) do nothing;

update instance_days set deployment_mode = btrim(metrics ->> 'sys_mode')
where deployment_mode is null
  and jsonb_typeof(metrics -> 'sys_mode') = 'string'
  and char_length(btrim(metrics ->> 'sys_mode')) between 1 and 50
  and metrics ->> 'sys_mode' !~ '[\u0001-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]';

update instances set deployment_mode = btrim(metrics ->> 'sys_mode')
where deployment_mode is null
  and jsonb_typeof(metrics -> 'sys_mode') = 'string'
  and char_length(btrim(metrics ->> 'sys_mode')) between 1 and 50
  and metrics ->> 'sys_mode' !~ '[\u0001-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]';
