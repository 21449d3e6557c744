import { FormEvent, useMemo, useState } from 'react';
import { useIntl } from '@openedx/frontend-base';
import {
  ActionRow, Alert, Button, Form, ModalDialog, StatefulButton,
} from '@openedx/paragon';
import { ApiError } from './api';
import messages from './messages';
import type {
  CourseSettings, Report, Schedule, ScheduleInput,
} from './types';
import {
  defaultWhen, Repeat, scheduleFields, timeZones, When, whenOf,
} from './when';

interface Props {
  reports: Report[],
  settings: CourseSettings,
  schedule: Schedule | null,
  onSave: (input: ScheduleInput) => Promise<void>,
  onClose: () => void,
}

/** The text of an argument's value: strings as they are, anything else as JSON. */
function argumentText(value: unknown) {
  if (value === undefined || value === null) {
    return '';
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** An argument's value from its text: JSON when it reads as JSON (a list, a number), else the text. */
function argumentValue(text: string): unknown {
  const trimmed = text.trim();
  if (/^[[{0-9-]|^(true|false|null)$/.test(trimmed)) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return trimmed;
    }
  }
  return trimmed;
}

/** The form of a new or changed schedule, in a dialog; the API's messages show at their fields. */
const ScheduleForm = ({
  reports, settings, schedule, onSave, onClose,
}: Props) => {
  const intl = useIntl();
  const [name, setName] = useState(schedule?.name ?? '');
  const [report, setReport] = useState(schedule?.report ?? '');
  const [when, setWhen] = useState<When>(
    schedule ? whenOf(schedule, settings.time_zone) : defaultWhen(settings.time_zone),
  );
  const [args, setArgs] = useState<Record<string, string>>(
    Object.fromEntries(Object.entries(schedule?.arguments ?? {}).map(([key, value]) => [key, argumentText(value)])),
  );
  const [recipients, setRecipients] = useState((schedule?.recipients ?? []).join('\n'));
  const [maxInFlight, setMaxInFlight] = useState(schedule?.max_in_flight?.toString() ?? '');
  const [finishWithin, setFinishWithin] = useState(schedule?.finish_within ?? '');
  const [error, setError] = useState<ApiError | null>(null);
  const [saving, setSaving] = useState(false);
  const chosen = reports.find((item) => item.id === report);
  const zones = useMemo(() => timeZones(settings.time_zone, when.timeZone), [settings.time_zone, when.timeZone]);
  const weekdays = useMemo(() => [0, 1, 2, 3, 4, 5, 6].map((day) => intl.formatDate(
    new Date(Date.UTC(2024, 0, 7 + day, 12)),
    { weekday: 'long', timeZone: 'UTC' },
  )), [intl]);
  const fieldErrors = error?.fieldErrors ?? {};
  const whenError = [...(fieldErrors.interval ?? []), ...(fieldErrors.crontab ?? []), ...(fieldErrors.timezone ?? [])];

  const preview = () => {
    const values = { time: when.time, timeZone: when.timeZone };
    switch (when.repeat) {
      case 'hours': return intl.formatMessage(messages.previewHours, { hours: when.everyHours });
      case 'daily': return intl.formatMessage(messages.previewDaily, values);
      case 'weekly': return intl.formatMessage(messages.previewWeekly, { ...values, weekday: weekdays[when.weekday] });
      case 'monthly': return intl.formatMessage(messages.previewMonthly, { ...values, day: when.monthday });
      default: return schedule?.when ?? '';
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const argumentNames = chosen?.argument_names ?? [];
    const input: ScheduleInput = {
      name: name.trim(),
      report,
      ...scheduleFields(when),
      arguments: Object.fromEntries(
        argumentNames.filter((key) => (args[key] ?? '').trim() !== '').map((key) => [key, argumentValue(args[key])]),
      ),
      recipients: recipients.split(/[\s,;]+/).map((item) => item.trim()).filter(Boolean),
      // Empty is none (the site's cap alone; no window): sent as null so a change clears them.
      max_in_flight: maxInFlight.trim() === '' ? null : Number(maxInFlight),
      finish_within: finishWithin.trim() || null,
    };
    setSaving(true);
    setError(null);
    try {
      await onSave(input);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught : new ApiError(0, String(caught)));
      setSaving(false);
    }
  };

  const update = (fields: Partial<When>) => setWhen({ ...when, ...fields });
  const title = schedule
    ? intl.formatMessage(messages.editTitle, { name: schedule.name })
    : intl.formatMessage(messages.createTitle);

  return (
    <ModalDialog title={title} isOpen onClose={onClose} hasCloseButton isOverflowVisible={false} size="lg">
      <ModalDialog.Header>
        <ModalDialog.Title>{title}</ModalDialog.Title>
      </ModalDialog.Header>
      <ModalDialog.Body>
        <Form onSubmit={submit} noValidate id="pir-schedule-form">
          {error && (
            <Alert variant="danger" role="alert">
              {intl.formatMessage(messages.formError, {
                detail: error.message || intl.formatMessage(messages.networkError, { status: error.status }),
              })}
            </Alert>
          )}
          <Form.Group controlId="pir-report" isInvalid={!!fieldErrors.report}>
            <Form.Label>{intl.formatMessage(messages.report)}</Form.Label>
            <Form.Control as="select" value={report} required disabled={!!schedule} onChange={(e: any) => setReport(e.target.value)}>
              <option value="">{intl.formatMessage(messages.chooseReport)}</option>
              {reports.map((item) => <option key={item.id} value={item.id}>{item.name}</option>)}
            </Form.Control>
            {chosen && <Form.Text>{intl.formatMessage(messages.personalData, { data: chosen.personal_data })}</Form.Text>}
            {fieldErrors.report?.map((text) => <Form.Control.Feedback key={text} type="invalid">{text}</Form.Control.Feedback>)}
          </Form.Group>
          <Form.Group controlId="pir-name" isInvalid={!!fieldErrors.name}>
            <Form.Label>{intl.formatMessage(messages.name)}</Form.Label>
            <Form.Control value={name} maxLength={200} onChange={(e: any) => setName(e.target.value)} />
            <Form.Text>{intl.formatMessage(messages.nameHelp)}</Form.Text>
            {fieldErrors.name?.map((text) => <Form.Control.Feedback key={text} type="invalid">{text}</Form.Control.Feedback>)}
          </Form.Group>
          <fieldset className="mb-3">
            <legend className="h5">{intl.formatMessage(messages.when)}</legend>
            <Form.Group controlId="pir-repeat" isInvalid={whenError.length > 0}>
              <Form.Label>{intl.formatMessage(messages.repeat)}</Form.Label>
              <Form.Control as="select" value={when.repeat} onChange={(e: any) => update({ repeat: e.target.value as Repeat })}>
                <option value="hours">{intl.formatMessage(messages.repeatHours)}</option>
                <option value="daily">{intl.formatMessage(messages.repeatDaily)}</option>
                <option value="weekly">{intl.formatMessage(messages.repeatWeekly)}</option>
                <option value="monthly">{intl.formatMessage(messages.repeatMonthly)}</option>
                {schedule && whenOf(schedule, settings.time_zone).repeat === 'custom' && (
                  <option value="custom">{intl.formatMessage(messages.repeatCustom, { when: schedule.when })}</option>
                )}
              </Form.Control>
              {whenError.map((text) => <Form.Control.Feedback key={text} type="invalid">{text}</Form.Control.Feedback>)}
            </Form.Group>
            <div className="d-flex flex-wrap" style={{ gap: '0 1rem' }}>
              {when.repeat === 'hours' && (
                <Form.Group controlId="pir-every-hours">
                  <Form.Label>{intl.formatMessage(messages.everyHours)}</Form.Label>
                  <Form.Control type="number" min={1} value={when.everyHours} onChange={(e: any) => update({ everyHours: Number(e.target.value) })} />
                  <Form.Text>{intl.formatMessage(messages.minInterval, { hours: Math.ceil(settings.min_interval_seconds / 3600) })}</Form.Text>
                </Form.Group>
              )}
              {when.repeat === 'weekly' && (
                <Form.Group controlId="pir-weekday">
                  <Form.Label>{intl.formatMessage(messages.weekday)}</Form.Label>
                  <Form.Control as="select" value={when.weekday} onChange={(e: any) => update({ weekday: Number(e.target.value) })}>
                    {weekdays.map((label, day) => <option key={label} value={day}>{label}</option>)}
                  </Form.Control>
                </Form.Group>
              )}
              {when.repeat === 'monthly' && (
                <Form.Group controlId="pir-monthday">
                  <Form.Label>{intl.formatMessage(messages.monthday)}</Form.Label>
                  <Form.Control type="number" min={1} max={28} value={when.monthday} onChange={(e: any) => update({ monthday: Number(e.target.value) })} />
                </Form.Group>
              )}
              {['daily', 'weekly', 'monthly'].includes(when.repeat) && (
                <>
                  <Form.Group controlId="pir-time">
                    <Form.Label>{intl.formatMessage(messages.time)}</Form.Label>
                    <Form.Control type="time" value={when.time} required onChange={(e: any) => update({ time: e.target.value })} />
                  </Form.Group>
                  <Form.Group controlId="pir-time-zone">
                    <Form.Label>{intl.formatMessage(messages.timeZone)}</Form.Label>
                    <Form.Control as="select" value={when.timeZone} onChange={(e: any) => update({ timeZone: e.target.value })}>
                      {zones.map((zone) => <option key={zone} value={zone}>{zone}</option>)}
                    </Form.Control>
                    <Form.Text>{intl.formatMessage(messages.timeZoneHelp, { timeZone: settings.time_zone })}</Form.Text>
                  </Form.Group>
                </>
              )}
            </div>
            <p className="mb-0" aria-live="polite" data-testid="when-preview">{intl.formatMessage(messages.preview, { when: preview() })}</p>
          </fieldset>
          <fieldset className="mb-3">
            <legend className="h5">{intl.formatMessage(messages.arguments)}</legend>
            {fieldErrors.arguments?.map((text) => <Alert key={text} variant="danger">{text}</Alert>)}
            {chosen && chosen.argument_names.length === 0 && <p>{intl.formatMessage(messages.noArguments)}</p>}
            {chosen && chosen.argument_names.length > 0 && (
              <>
                <p className="small">{intl.formatMessage(messages.argumentsHelp, { text: chosen.arguments })}</p>
                {chosen.argument_names.map((key) => (
                  <Form.Group key={key} controlId={`pir-argument-${key}`}>
                    <Form.Label>{key}</Form.Label>
                    <Form.Control value={args[key] ?? ''} onChange={(e: any) => setArgs({ ...args, [key]: e.target.value })} />
                  </Form.Group>
                ))}
              </>
            )}
          </fieldset>
          <Form.Group controlId="pir-recipients" isInvalid={!!fieldErrors.recipients}>
            <Form.Label>{intl.formatMessage(messages.recipientsLabel)}</Form.Label>
            <Form.Control as="textarea" rows={3} value={recipients} onChange={(e: any) => setRecipients(e.target.value)} />
            <Form.Text>{intl.formatMessage(messages.recipientsHelp, { max: settings.max_recipients })}</Form.Text>
            {fieldErrors.recipients?.map((text) => <Form.Control.Feedback key={text} type="invalid">{text}</Form.Control.Feedback>)}
          </Form.Group>
          <fieldset className="mb-3">
            <legend className="h5">{intl.formatMessage(messages.pacing)}</legend>
            <p className="small">{intl.formatMessage(messages.pacingHelp)}</p>
            <div className="d-flex flex-wrap" style={{ gap: '0 1rem' }}>
              <Form.Group controlId="pir-max-in-flight" isInvalid={!!fieldErrors.max_in_flight} style={{ flex: '1 1 14rem' }}>
                <Form.Label>{intl.formatMessage(messages.maxInFlight)}</Form.Label>
                <Form.Control type="number" min={1} step={1} value={maxInFlight} aria-invalid={!!fieldErrors.max_in_flight} onChange={(e: any) => setMaxInFlight(e.target.value)} />
                <Form.Text>{intl.formatMessage(messages.maxInFlightHelp)}</Form.Text>
                {fieldErrors.max_in_flight?.map((text) => <Form.Control.Feedback key={text} type="invalid">{text}</Form.Control.Feedback>)}
              </Form.Group>
              <Form.Group controlId="pir-finish-within" isInvalid={!!fieldErrors.finish_within} style={{ flex: '1 1 14rem' }}>
                <Form.Label>{intl.formatMessage(messages.finishWithin)}</Form.Label>
                <Form.Control value={finishWithin} placeholder="4:00:00" maxLength={40} aria-invalid={!!fieldErrors.finish_within} onChange={(e: any) => setFinishWithin(e.target.value)} />
                <Form.Text>{intl.formatMessage(messages.finishWithinHelp)}</Form.Text>
                {fieldErrors.finish_within?.map((text) => <Form.Control.Feedback key={text} type="invalid">{text}</Form.Control.Feedback>)}
              </Form.Group>
            </div>
          </fieldset>
        </Form>
      </ModalDialog.Body>
      <ModalDialog.Footer>
          <ActionRow>
            <Button variant="tertiary" onClick={onClose}>{intl.formatMessage(messages.cancel)}</Button>
            <StatefulButton
              type="submit"
              form="pir-schedule-form"
              state={saving ? 'pending' : 'default'}
              labels={{ default: intl.formatMessage(messages.save), pending: intl.formatMessage(messages.saving) }}
              disabledStates={['pending']}
            />
          </ActionRow>
      </ModalDialog.Footer>
    </ModalDialog>
  );
};

export default ScheduleForm;
