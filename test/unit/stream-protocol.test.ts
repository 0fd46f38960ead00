// The stream protocol's pure parts: a bus event maps to exactly the topic its subscription is stored under,
// requests are normalised (case of the market, duplicates, the default type), and stored topics read back in the
// client's terms.
import { describe, expect, it } from 'vitest';
import {
  accountTopic,
  describeTopics,
  eventMessage,
  parseClientMessage,
  quoteTopic,
  STREAM_ACCOUNT_TYPES,
  STREAM_QUOTE_TYPES,
  topicOfEvent,
  topicsOf,
  type SubscriptionRequest,
} from '../../functions/lib/stream-protocol.js';

describe('stream protocol', () => {
  it('maps every streamed detail type to the topic a subscription to it is stored under', () => {
    for (const type of STREAM_QUOTE_TYPES) {
      const req = parseClientMessage(JSON.stringify({ action: 'subscribe', quotes: ['HK.00700'], types: [type] })) as SubscriptionRequest;
      expect(topicsOf(req)).toEqual([topicOfEvent(type, { security: 'HK.00700', market: 'HK', code: '00700' })]);
    }
    const req = parseClientMessage('{"action":"subscribe","accounts":["281756480572583411"]}') as SubscriptionRequest;
    for (const type of STREAM_ACCOUNT_TYPES) expect(topicsOf(req)).toEqual([topicOfEvent(type, { accId: '281756480572583411', security: 'HK.00700' })]);
  });

  it('streams nothing for an event it does not carry or whose security or account is missing', () => {
    expect(topicOfEvent('Gateway State', { ready: true })).toBeUndefined();
    expect(topicOfEvent('Quote', { code: '00700' })).toBeUndefined();
    expect(topicOfEvent('Order Update', { accId: 281756480572583411 })).toBeUndefined();
    expect(topicOfEvent('Order Fill', null)).toBeUndefined();
  });

  it('normalises a request: market prefix upper-cased, duplicates dropped, Quote by default', () => {
    expect(parseClientMessage('{"action":"subscribe","quotes":["hk.00700","HK.00700","US.AAPL"],"accounts":["1","1"]}')).toEqual({
      action: 'subscribe',
      quotes: ['HK.00700', 'US.AAPL'],
      types: ['Quote'],
      accounts: ['1'],
    });
  });

  it('reads stored topics back per security and account, sorted', () => {
    const topics = [quoteTopic('US.AAPL', 'Quote'), accountTopic('2'), quoteTopic('HK.00700', 'Ticker'), quoteTopic('HK.00700', 'KLine'), accountTopic('1')];
    expect(describeTopics(topics)).toEqual({
      quotes: [
        { security: 'HK.00700', types: ['KLine', 'Ticker'] },
        { security: 'US.AAPL', types: ['Quote'] },
      ],
      accounts: ['1', '2'],
    });
  });

  it('pushes an event with its detail type, EventBridge id and time, and the detail unchanged', () => {
    const detail = { accId: '281756480572583411', orderId: '6932447613402046474', status: 'SUBMITTED' };
    expect(JSON.parse(eventMessage({ id: 'e-1', time: '2030-01-02T03:04:05Z', 'detail-type': 'Order Update', detail }))).toEqual({
      type: 'event',
      detailType: 'Order Update',
      id: 'e-1',
      time: '2030-01-02T03:04:05Z',
      detail,
    });
  });
});
