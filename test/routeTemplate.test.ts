import { describe, expect, it } from 'vitest';
import { byPrecedence, compileRoute, matchRoute } from '../lib/host/routeTemplate.js';

describe('route templates', () => {
  it('matches literals case-insensitively and extracts parameters', () => {
    const route = compileRoute('v1.0/drives/{driveId}/items/{itemId}/createLink');
    expect(matchRoute(route, ['v1.0', 'Drives', 'b!x', 'items', 'a b', 'CREATELINK'])).toEqual({ driveId: 'b!x', itemId: 'a b' });
    expect(matchRoute(route, ['v1.0', 'drives', 'b!x', 'items', 'a'])).toBeUndefined();
    expect(matchRoute(route, ['v1.0', 'drives', 'b!x', 'items', 'a', 'createLink', 'more'])).toBeUndefined();
    expect(matchRoute(route, ['v1.0', 'drives', '', 'items', 'a', 'createLink'])).toBeUndefined();
  });

  it('ignores constraints and supports catch-alls', () => {
    expect(matchRoute(compileRoute('x/{id:int}'), ['x', '5'])).toEqual({ id: '5' });
    expect(matchRoute(compileRoute('{*path}'), ['a', 'b'])).toEqual({ path: 'a/b' });
    expect(matchRoute(compileRoute('{*path}'), [])).toEqual({ path: '' });
  });

  it('orders literals before parameters before catch-alls', () => {
    const routes = ['{*path}', 'v1.0/drives/{driveId}', 'v1.0/drives/{driveId}/root', 'v1.0/me/drive', 'v1.0/{x}/drive'].map(compileRoute);
    const order = routes.sort(byPrecedence).map((route) => route.template);
    expect(order.at(-1)).toBe('{*path}');
    expect(order.indexOf('v1.0/me/drive')).toBeLessThan(order.indexOf('v1.0/{x}/drive'));
    expect(order.indexOf('v1.0/drives/{driveId}/root')).toBeLessThan(order.indexOf('v1.0/{x}/drive'));
  });
});
