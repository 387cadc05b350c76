export interface OrderLine {
  sku: string;
  quantity: number;
}

export interface Order {
  id: number;
  customer: string;
  lines: OrderLine[];
}

export interface PricedLine extends OrderLine {
  name: string;
  unitPriceCents: number;
  inStock: boolean;
}

export interface OrderDetails {
  id: number;
  customer: string;
  lines: PricedLine[];
  totalCents: number;
}
