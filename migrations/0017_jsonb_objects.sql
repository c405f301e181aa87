-- Until this migration, an alert rule's params and state, a delivery's payload and an audit
-- line's detail written through the PostgreSQL driver were stored as a jsonb string holding the
-- object's JSON text (the text parameter was cast straight to jsonb, so the driver encoded it a
-- second time); the embedded store stored the object. Every writer of these columns writes a JSON
-- object, so a string holding the JSON text of an object is one of those and becomes the object.
-- Any other string (not JSON text, or the text of something other than an object) is not the
-- writers' and stays as it is.

create function shm_0017_object_of(value jsonb) returns jsonb language plpgsql immutable as $$
declare
  parsed jsonb;
begin
  parsed := (value #>> '{}')::jsonb;
  return case when jsonb_typeof(parsed) = 'object' then parsed else value end;
exception when data_exception then
  return value;
end
$$;

update alert_rules set params = shm_0017_object_of(params)
where jsonb_typeof(params) = 'string' and jsonb_typeof(shm_0017_object_of(params)) = 'object';

update alert_rules set state = shm_0017_object_of(state)
where jsonb_typeof(state) = 'string' and jsonb_typeof(shm_0017_object_of(state)) = 'object';

update alert_deliveries set payload = shm_0017_object_of(payload)
where jsonb_typeof(payload) = 'string' and jsonb_typeof(shm_0017_object_of(payload)) = 'object';

update audit_log set detail = shm_0017_object_of(detail)
where jsonb_typeof(detail) = 'string' and jsonb_typeof(shm_0017_object_of(detail)) = 'object';

drop function shm_0017_object_of(jsonb);
